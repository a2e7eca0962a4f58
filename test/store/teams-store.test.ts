import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConversationRefRecord, PersonRecord } from '../../src/core/ports.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

describe.each(TEST_STORE_KINDS)('Teams directory on %s', (kind) => {
  const store = useTestStore(kind);

  const personal = (aad: string, overrides: Partial<ConversationRefRecord> = {}): ConversationRefRecord => ({
    conversationId: `a:1${randomUUID()}`,
    kind: 'personal',
    tenantId: 'tenant-1',
    teamId: null,
    userAadObjectId: aad,
    reference: { serviceUrl: 'https://smba.example/amer/', conversation: { id: 'x' } },
    ...overrides,
  });
  const person = (id: string): PersonRecord => ({ id, email: `${id}@example.com`, displayName: null, slackUserId: null, teamsAadObjectId: null, disabled: false });

  it('saving a reference again updates it in place (the newest service URL wins)', async () => {
    const ref = personal(randomUUID());
    await store().saveConversationRef(ref);
    const moved = { ...ref, reference: { serviceUrl: 'https://smba.example/emea/' } };
    await store().saveConversationRef(moved);
    expect(await store().getConversationRef(ref.conversationId)).toEqual(moved);
  });

  it('finds the newest personal chat of a user, and no channel of theirs', async () => {
    const aad = randomUUID();
    await store().saveConversationRef(personal(aad, { kind: 'channel', conversationId: `19:${randomUUID()}@thread.tacv2`, teamId: 'team' }));
    const older = personal(aad);
    await store().saveConversationRef(older);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = personal(aad);
    await store().saveConversationRef(newer);
    expect((await store().findPersonalConversation(aad))?.conversationId).toBe(newer.conversationId);
    expect(await store().findPersonalConversation(randomUUID())).toBeNull();
  });

  it('finds a conversation of the tenant and forgets a removed team', async () => {
    const tenant = randomUUID();
    const team = `19:${randomUUID()}@thread.tacv2`;
    await store().saveConversationRef(personal(randomUUID(), { kind: 'channel', conversationId: team, teamId: team, tenantId: tenant, userAadObjectId: null }));
    await store().saveConversationRef(personal(randomUUID(), { kind: 'channel', conversationId: `19:${randomUUID()}@thread.tacv2`, teamId: team, tenantId: tenant, userAadObjectId: null }));
    expect((await store().findAnyConversation(tenant))?.tenantId).toBe(tenant);
    expect(await store().findAnyConversation(randomUUID())).toBeNull();
    expect(await store().removeConversationRefs({ teamId: team })).toBe(2);
    expect(await store().findAnyConversation(tenant)).toBeNull();
  });

  const user = (teamsUserId: string | null, aadObjectId: string | null = null) => ({ teamsUserId, aadObjectId });

  it('remembers who a person is in Teams and moves an id when another person claims it', async () => {
    await store().syncPeople([person('tina'), person('tom')], []);
    await store().recordTeamsUser('tina', user('29:one', 'aad-tina'));
    expect(await store().teamsUsersOf(['tina', 'tom'])).toEqual(new Map([['tina', user('29:one', 'aad-tina')]]));
    await store().recordTeamsUser('tom', user('29:one'));
    expect(await store().teamsUsersOf(['tina', 'tom'])).toEqual(new Map([['tina', user(null, 'aad-tina')], ['tom', user('29:one')]]));
    await store().recordTeamsUser('tom', user('29:one', 'aad-tina'));
    expect(await store().teamsUsersOf(['tina', 'tom'])).toEqual(new Map([['tom', user('29:one', 'aad-tina')]]));
    expect(await store().teamsUsersOf([])).toEqual(new Map());
  });

  it('a person re-synced from the policy keeps the Teams identity learned in chat', async () => {
    await store().syncPeople([person('una')], []);
    await store().recordTeamsUser('una', user('29:una', 'aad-una'));
    await store().syncPeople([person('una'), person('tina'), person('tom')], []);
    expect((await store().teamsUsersOf(['una'])).get('una')).toEqual(user('29:una', 'aad-una'));
  });
});
