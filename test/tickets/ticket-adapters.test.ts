import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StintError } from '../../src/domain/errors.ts';
import { createTicketSystems, JiraClient, ServiceNowClient } from '../../src/tickets/index.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { startFakeJira, type FakeJira } from '../fakes/jira-api.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../fakes/servicenow-api.ts';

async function refusal(promise: Promise<unknown>): Promise<StintError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StintError);
  return err as StintError;
}

/** A URL nothing listens on. */
async function deadUrl(): Promise<string> {
  const fake = await startFakeJira();
  await fake.close();
  return fake.url;
}

describe('JiraClient against the Jira fake', () => {
  let jira: FakeJira;
  let client: JiraClient;
  beforeAll(async () => {
    jira = await startFakeJira();
  });
  afterAll(() => jira.close());
  beforeEach(() => {
    jira.reset();
    jira.issues.set('INC-1234', { summary: 'Orders stuck in PENDING', status: 'In Progress' });
    client = new JiraClient({ url: jira.url, email: jira.email, token: jira.token, timeoutMs: 2000 });
  });

  it('finds an issue with its summary, status and browse URL', async () => {
    expect(await client.lookup('INC-1234')).toEqual({ key: 'INC-1234', title: 'Orders stuck in PENDING', state: 'In Progress', url: `${jira.url}/browse/INC-1234` });
    expect(jira.calls[0]!.path).toBe('/rest/api/3/issue/INC-1234');
  });

  it('answers null for an unknown issue', async () => {
    expect(await client.lookup('INC-9999')).toBeNull();
  });

  it('turns refused credentials into UNAVAILABLE without the token', async () => {
    const wrong = new JiraClient({ url: jira.url, email: jira.email, token: 'wrong-token-secret' });
    const err = await refusal(wrong.lookup('INC-1234'));
    expect([err.code, err.details?.status]).toEqual(['UNAVAILABLE', 401]);
    expect(err.message).toContain('refused');
    expect(err.message).not.toContain('wrong-token-secret');
  });

  it('turns an unreachable Jira into UNAVAILABLE', async () => {
    const down = new JiraClient({ url: await deadUrl(), email: jira.email, token: jira.token });
    const err = await refusal(down.lookup('INC-1234'));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('Jira cannot be reached');
  });

  it('gives up after its timeout', async () => {
    jira.delay('/rest/api/3/issue', 500);
    const slow = new JiraClient({ url: jira.url, email: jira.email, token: jira.token, timeoutMs: 100 });
    expect((await refusal(slow.lookup('INC-1234'))).message).toContain('no answer within 100 ms');
  });

  it('comments with an Atlassian Document Format body', async () => {
    await client.comment('INC-1234', 'Stint: access granted');
    expect(jira.comments).toEqual([
      { key: 'INC-1234', text: 'Stint: access granted', body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Stint: access granted' }] }] } },
    ]);
  });

  it('refuses to comment on an unknown issue', async () => {
    expect((await refusal(client.comment('INC-9999', 'x'))).code).toBe('UNAVAILABLE');
  });
});

describe('ServiceNowClient against the ServiceNow fake', () => {
  let sn: FakeServiceNow;
  let client: ServiceNowClient;
  beforeAll(async () => {
    sn = await startFakeServiceNow();
  });
  afterAll(() => sn.close());
  beforeEach(() => {
    sn.reset();
    sn.records.set('INC0012345', { shortDescription: 'Checkout errors', state: 'In Progress' });
    client = new ServiceNowClient({ url: sn.url, user: sn.user, password: sn.password, timeoutMs: 2000 });
  });

  it('finds a record by number through the Table API', async () => {
    const found = await client.lookup('INC0012345');
    expect(found).toMatchObject({ key: 'INC0012345', title: 'Checkout errors', state: 'In Progress' });
    expect(found!.url).toContain(`${sn.url}/nav_to.do?uri=`);
    expect(sn.calls[0]!.query.get('sysparm_query')).toBe('number=INC0012345');
  });

  it('answers null for an unknown number (an empty result)', async () => {
    expect(await client.lookup('INC0099999')).toBeNull();
  });

  it('answers null without asking for a key that would change the query', async () => {
    expect(await client.lookup('INC1^ORnumberISNOTEMPTY')).toBeNull();
    expect(sn.calls).toHaveLength(0);
  });

  it('turns refused credentials into UNAVAILABLE without the password', async () => {
    const wrong = new ServiceNowClient({ url: sn.url, user: sn.user, password: 'wrong-password-secret' });
    const err = await refusal(wrong.lookup('INC0012345'));
    expect([err.code, err.details?.status]).toEqual(['UNAVAILABLE', 401]);
    expect(err.message).not.toContain('wrong-password-secret');
  });

  it('turns an unreachable ServiceNow into UNAVAILABLE', async () => {
    const down = new ServiceNowClient({ url: await deadUrl(), user: sn.user, password: sn.password });
    expect((await refusal(down.lookup('INC0012345'))).message).toContain('ServiceNow cannot be reached');
  });

  it('adds a work note by sys_id', async () => {
    await client.comment('INC0012345', 'Stint: access revoked');
    expect(sn.workNotes).toEqual([{ number: 'INC0012345', sysId: expect.any(String), text: 'Stint: access revoked' }]);
    expect(sn.calls.at(-1)!.method).toBe('PATCH');
  });

  it('uses the configured table', async () => {
    const changes = await startFakeServiceNow({ table: 'change_request' });
    try {
      changes.records.set('CHG0001', { shortDescription: 'Failover', state: 'Implement' });
      const c = new ServiceNowClient({ url: changes.url, user: changes.user, password: changes.password, table: 'change_request' });
      expect((await c.lookup('CHG0001'))?.state).toBe('Implement');
    } finally {
      await changes.close();
    }
  });
});

describe('createTicketSystems', () => {
  it('resolves the policy secret references on each call and fails closed for an unconfigured system', async () => {
    const jira = await startFakeJira();
    try {
      jira.issues.set('OPS-7', { summary: 'Rotate keys', status: 'Open' });
      const policy = parsePolicy(
        `version: 1
people: [{ id: alice, email: alice@example.com }]
resources: []
workflows: {}
tickets:
  jira: { url: "${jira.url}", email: "env:JIRA_EMAIL", token: "env:JIRA_TOKEN" }
`,
        'stint.yaml',
      );
      const tickets = createTicketSystems({ policy: { current: () => policy }, env: { JIRA_EMAIL: jira.email, JIRA_TOKEN: jira.token } });
      expect((await tickets.lookup('jira', 'OPS-7'))?.title).toBe('Rotate keys');
      expect((await refusal(tickets.lookup('servicenow', 'INC1'))).code).toBe('UNAVAILABLE');
      const missing = createTicketSystems({ policy: { current: () => policy }, env: {} });
      const err = await refusal(missing.lookup('jira', 'OPS-7'));
      expect([err.code, err.message]).toEqual(['UNAVAILABLE', expect.stringContaining('JIRA_EMAIL')]);
    } finally {
      await jira.close();
    }
  });
});
