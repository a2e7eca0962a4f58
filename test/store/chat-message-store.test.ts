import { describe, expect, it } from 'vitest';
import type { ChatMessageRecord } from '../../src/core/ports.ts';
import { makeRequest } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

describe.each(TEST_STORE_KINDS)('chat messages on %s', (kind) => {
  const store = useTestStore(kind);

  const newRequest = async () => {
    const request = makeRequest();
    await store().transaction((tx) => tx.insertRequest(request));
    return request.id;
  };
  // Message ids are unique per channel in the whole table: each request gets its own from its id.
  const copy = (requestId: string, overrides: Partial<ChatMessageRecord> = {}): ChatMessageRecord => ({
    requestId,
    platform: 'slack',
    channel: 'C0DBACCESS',
    messageId: `${requestId}.1`,
    recipientId: null,
    ...overrides,
  });

  it('lists the saved copies of a request, oldest first, with their recipients', async () => {
    const id = await newRequest();
    await store().saveChatMessage(copy(id));
    await store().saveChatMessage(copy(id, { channel: 'DU0CAROL', messageId: `${id}.2`, recipientId: 'carol' }));
    expect(await store().listChatMessages(id, 'slack')).toEqual([copy(id), copy(id, { channel: 'DU0CAROL', messageId: `${id}.2`, recipientId: 'carol' })]);
  });

  it('saving the same copy twice keeps one row', async () => {
    const id = await newRequest();
    await store().saveChatMessage(copy(id));
    await store().saveChatMessage(copy(id));
    expect(await store().listChatMessages(id, 'slack')).toHaveLength(1);
  });

  it('lists only the copies of the asked platform and request', async () => {
    const id = await newRequest();
    const other = await newRequest();
    await store().saveChatMessage(copy(id));
    await store().saveChatMessage(copy(id, { platform: 'teams', channel: '19:abc@thread.tacv2', messageId: 'activity-1' }));
    await store().saveChatMessage(copy(other));
    expect(await store().listChatMessages(id, 'slack')).toEqual([copy(id)]);
    expect(await store().listChatMessages(id, 'teams')).toEqual([copy(id, { platform: 'teams', channel: '19:abc@thread.tacv2', messageId: 'activity-1' })]);
  });

  it('refuses a copy of a request that does not exist', async () => {
    await expect(store().saveChatMessage(copy('jit_00000000000000000000000000'))).rejects.toThrow();
  });
});
