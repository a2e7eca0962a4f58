/**
 * Teams conversation references and learned Teams user ids (DESIGN.md section 3). A reference is written on
 * every install and every message, so the newest service URL wins; nothing here holds a secret.
 */
import type { ConversationRefRecord, TeamsUser } from '../core/ports.ts';
import type { ConversationRef, Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { RunTransaction } from './transaction.ts';

export async function saveConversationRef(db: PrismaClient, ref: ConversationRefRecord): Promise<void> {
  const fields = {
    kind: ref.kind,
    tenantId: ref.tenantId,
    teamId: ref.teamId,
    userAadObjectId: ref.userAadObjectId,
    reference: ref.reference as Prisma.InputJsonObject,
    updatedAt: new Date(),
  };
  await db.conversationRef.upsert({ where: { conversationId: ref.conversationId }, create: { id: ref.conversationId, conversationId: ref.conversationId, ...fields }, update: fields });
}

export async function getConversationRef(db: PrismaClient, conversationId: string): Promise<ConversationRefRecord | null> {
  const row = await db.conversationRef.findUnique({ where: { conversationId } });
  return row && toRecord(row);
}

export async function findPersonalConversation(db: PrismaClient, userAadObjectId: string): Promise<ConversationRefRecord | null> {
  const row = await db.conversationRef.findFirst({ where: { userAadObjectId, kind: 'personal' }, orderBy: { updatedAt: 'desc' } });
  return row && toRecord(row);
}

export async function findAnyConversation(db: PrismaClient, tenantId: string | null): Promise<ConversationRefRecord | null> {
  const row = await db.conversationRef.findFirst({ where: tenantId === null ? {} : { tenantId }, orderBy: { updatedAt: 'desc' } });
  return row && toRecord(row);
}

export async function removeConversationRefs(db: PrismaClient, where: { teamId: string } | { conversationId: string }): Promise<number> {
  return (await db.conversationRef.deleteMany({ where })).count;
}

export function recordTeamsUser(run: RunTransaction, personId: string, user: TeamsUser): Promise<void> {
  return run(async (tx) => {
    const now = new Date();
    for (const [key, value] of [['teamsUserId', user.teamsUserId], ['teamsAadObjectId', user.aadObjectId]] as const) {
      if (value === null) continue;
      await tx.person.updateMany({ where: { [key]: value, id: { not: personId } }, data: { [key]: null, updatedAt: now } });
      await tx.person.updateMany({ where: { id: personId, OR: [{ [key]: null }, { [key]: { not: value } }] }, data: { [key]: value, updatedAt: now } });
    }
  });
}

export async function teamsUsersOf(db: PrismaClient, personIds: string[]): Promise<Map<string, TeamsUser>> {
  if (personIds.length === 0) return new Map();
  const rows = await db.person.findMany({
    where: { id: { in: personIds }, OR: [{ teamsUserId: { not: null } }, { teamsAadObjectId: { not: null } }] },
    select: { id: true, teamsUserId: true, teamsAadObjectId: true },
  });
  return new Map(rows.map((row) => [row.id, { teamsUserId: row.teamsUserId, aadObjectId: row.teamsAadObjectId }]));
}

function toRecord(row: ConversationRef): ConversationRefRecord {
  return {
    conversationId: row.conversationId,
    kind: row.kind as ConversationRefRecord['kind'],
    tenantId: row.tenantId,
    teamId: row.teamId,
    userAadObjectId: row.userAadObjectId,
    reference: row.reference as Record<string, unknown>,
  };
}
