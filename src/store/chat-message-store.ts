/**
 * The copies of a request's card posted in chat (`ChatMessage` rows): one per channel or direct message, so a
 * transition can update every copy in place. A copy is keyed by platform, channel and message id; recording
 * it twice (a notify job that ran again) changes nothing.
 */
import type { ChatMessageRecord } from '../core/ports.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';

export async function saveChatMessage(db: PrismaClient, m: ChatMessageRecord): Promise<void> {
  const { requestId, platform, channel, messageId, recipientId } = m;
  await db.chatMessage.createMany({
    data: [{ id: `${platform}/${channel}/${messageId}`, requestId, platform, channel, messageId, recipientId }],
    skipDuplicates: true,
  });
}

export async function listChatMessages(db: PrismaClient, requestId: string, platform: string): Promise<ChatMessageRecord[]> {
  const rows = await db.chatMessage.findMany({ where: { requestId, platform }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(({ requestId: r, platform: p, channel, messageId, recipientId }) => ({ requestId: r, platform: p, channel, messageId, recipientId }));
}
