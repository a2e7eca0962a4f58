import { describe, expect, it } from 'vitest';
import { makePerson } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

interface PersonRow {
  id: string;
  email: string;
  slackUserId: string | null;
  teamsAadObjectId: string | null;
  disabled: boolean;
}

describe.each(TEST_STORE_KINDS)('person store on %s', (kind) => {
  const store = useTestStore(kind);

  async function people(): Promise<PersonRow[]> {
    return store().driver.query<PersonRow>(
      `SELECT "id", "email", "slackUserId", "teamsAadObjectId", "disabled" FROM "Person" ORDER BY "id"`,
    );
  }

  async function reset(): Promise<void> {
    await store().driver.exec('DELETE FROM "Person"; DELETE FROM "ServiceAccount"');
  }

  it('inserts the persons of the policy', async () => {
    await reset();
    const disabled = await store().syncPeople([makePerson('alice', { slackUserId: 'U1' }), makePerson('bob')], []);
    expect(disabled).toEqual([]);
    expect(await people()).toEqual([
      { id: 'alice', email: 'alice@example.com', slackUserId: 'U1', teamsAadObjectId: null, disabled: false },
      { id: 'bob', email: 'bob@example.com', slackUserId: null, teamsAadObjectId: null, disabled: false },
    ]);
  });

  it('disables the persons missing from the list and returns their ids', async () => {
    await reset();
    await store().syncPeople([makePerson('alice'), makePerson('bob'), makePerson('carol')], []);
    const disabled = await store().syncPeople([makePerson('alice')], []);
    expect(disabled.sort()).toEqual(['bob', 'carol']);
    expect((await people()).map((p) => [p.id, p.disabled])).toEqual([
      ['alice', false],
      ['bob', true],
      ['carol', true],
    ]);
  });

  it('returns only persons newly disabled: already disabled ones are not reported again', async () => {
    await reset();
    await store().syncPeople([makePerson('alice'), makePerson('bob')], []);
    await store().syncPeople([makePerson('alice')], []);
    expect(await store().syncPeople([makePerson('alice')], [])).toEqual([]);
  });

  it('reports a person the policy itself marks disabled as newly disabled', async () => {
    await reset();
    await store().syncPeople([makePerson('alice'), makePerson('bob')], []);
    expect(await store().syncPeople([makePerson('alice'), makePerson('bob', { disabled: true })], [])).toEqual(['bob']);
  });

  it('re-enables a person listed again and updates their email', async () => {
    await reset();
    await store().syncPeople([makePerson('alice'), makePerson('bob')], []);
    await store().syncPeople([makePerson('alice')], []);
    await store().syncPeople([makePerson('alice'), makePerson('bob', { email: 'bob@new.example' })], []);
    expect((await people()).find((p) => p.id === 'bob')).toMatchObject({ email: 'bob@new.example', disabled: false });
  });

  it('keeps a chat identity learned outside the policy when the policy leaves it null', async () => {
    await reset();
    await store().syncPeople([makePerson('alice')], []);
    await store().driver.exec(`UPDATE "Person" SET "slackUserId" = 'U-learned' WHERE "id" = 'alice'`);
    await store().syncPeople([makePerson('alice', { slackUserId: null })], []);
    expect((await people())[0]?.slackUserId).toBe('U-learned');
  });

  it('moves a chat identity the policy assigns to another person', async () => {
    await reset();
    await store().syncPeople([makePerson('alice', { teamsAadObjectId: 'aad-1' }), makePerson('bob')], []);
    await store().syncPeople([makePerson('alice'), makePerson('bob', { teamsAadObjectId: 'aad-1' })], []);
    expect((await people()).map((p) => [p.id, p.teamsAadObjectId])).toEqual([
      ['alice', null],
      ['bob', 'aad-1'],
    ]);
  });

  it('upserts service accounts with their owner', async () => {
    await reset();
    await store().syncPeople([], [{ id: 'svc-deploy', ownerId: 'alice' }]);
    await store().syncPeople([], [{ id: 'svc-deploy', ownerId: 'bob' }, { id: 'svc-agent', ownerId: 'carol' }]);
    const rows = await store().driver.query<{ id: string; ownerId: string }>(
      `SELECT "id", "ownerId" FROM "ServiceAccount" ORDER BY "id"`,
    );
    expect(rows).toEqual([
      { id: 'svc-agent', ownerId: 'carol' },
      { id: 'svc-deploy', ownerId: 'bob' },
    ]);
  });
});
