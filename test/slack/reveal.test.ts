/**
 * The Reveal credentials button (DESIGN.md invariant 6): the password reaches the requester in an ephemeral message
 * and nowhere else — not another Slack call, not a response_url post, not the audit log, not a log line (logs are
 * captured at trace level, where Bolt's Web API client writes request bodies).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { slackActor } from '../../src/slack/commands.ts';
import { createFakePostgresProvider, type FakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { SLACK_POLICY_YAML, slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
let provider: FakePostgresProvider;
beforeAll(async () => {
  provider = createFakePostgresProvider();
  const yaml = SLACK_POLICY_YAML.replace('role: dev_rw }', 'role: dev_rw, mode: ephemeral }');
  h = await slackHarness({ yaml, providers: [provider], logLevel: 'trace' });
}, 60_000);
afterAll(async () => h?.close());

async function activeGrant(): Promise<string> {
  const { request } = await createRequest(slackActor('alice'), { identityId: 'alice', scopes: ['dev-api'], duration: '30m', reason: 'INC-5 debugging' }, h.app.core);
  const { status } = await activateGrant(request.id, h.app.grants);
  if (status !== 'ACTIVE') throw new Error(`${request.id} did not activate: ${status}`);
  return request.id;
}

describe('reveal credentials button', () => {
  it('shows the password to the requester alone in an ephemeral message, and nowhere else', async () => {
    const id = await activeGrant();
    await h.blockAction('U0ALICE', 'stint_reveal', id);
    const shown = await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ALICE' && String(c.args.text).includes(id));
    const password = provider.minted.at(-1)!;
    expect(provider.minted).toHaveLength(1);
    expect(shown.args).toMatchObject({ channel: 'C0DBACCESS', user: 'U0ALICE' });
    expect(shown.args.text).toContain(`password \`${password}\``);

    expect(JSON.stringify(h.slack.calls.filter((c) => c !== shown))).not.toContain(password);
    expect(JSON.stringify(h.slack.responses)).not.toContain(password);
    expect(JSON.stringify(await h.app.store.readAudit(0n, 10_000), (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(password);
    // Bolt's client logs its calls at this level: the check below would see a password sent through it.
    expect(h.logs.join('')).toContain("apiCall('auth.test')");
    expect(h.logs.join('')).not.toContain(password);
  });

  it('refuses anyone but the requester (an admin too), and mints nothing', async () => {
    const id = await activeGrant();
    const before = provider.minted.length;
    await h.blockAction('U0ERIN', 'stint_reveal', id);
    const refused = await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ERIN' && String(c.args.text).includes('FORBIDDEN'));
    expect(refused.args.text).toContain('Only the requester');
    expect(provider.minted).toHaveLength(before);
  });

  it('mints nothing for a click that cannot be answered privately (the Home tab)', async () => {
    const id = await activeGrant();
    const before = provider.minted.length;
    await h.blockAction('U0ALICE', 'stint_reveal', id, { home: true });
    const home = await h.slack.waitFor('views.publish', (c) => c.args.user_id === 'U0ALICE' && JSON.stringify(c.args.view).includes('only you can see'));
    expect(home.args.view.type).toBe('home');
    expect(provider.minted).toHaveLength(before);
  });
});
