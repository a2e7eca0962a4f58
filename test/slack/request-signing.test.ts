/** Only correctly signed, fresh, first-time Slack requests act: anything else is 401 (or ignored) and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackSignature } from '../../src/slack/verify-signature.ts';
import { SIGNING_SECRET, slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
}, 60_000);
afterAll(async () => h?.close());

const form = (text: string) =>
  new URLSearchParams({ command: '/jit', text, user_id: 'U0ALICE', team_id: 'T1', channel_id: 'C0GENERAL', response_url: h.slack.responseUrl(), trigger_id: 't.1' }).toString();
const requestCount = async () => (await h.app.store.listRequests({ limit: 1000 })).length;
const now = () => Math.floor(Date.now() / 1000);

describe('Slack request verification', () => {
  it.each([
    ['a wrong signature', () => ({ 'x-slack-signature': 'v0=' + '0'.repeat(64) })],
    ['a signature by another secret', (body: string) => signSlackRequest('another-secret', body, now())],
    ['no signature headers', () => ({ 'x-slack-signature': '', 'x-slack-request-timestamp': '' })],
    ['a timestamp 6 minutes old', (body: string) => signSlackRequest(SIGNING_SECRET, body, now() - 360)],
    ['a timestamp 10 minutes in the future', (body: string) => signSlackRequest(SIGNING_SECRET, body, now() + 600)],
  ])('refuses %s with 401 and creates nothing', async (_name, headers) => {
    const before = await requestCount();
    const body = form('request dev-api 30m signed badly');
    const answer = await h.post(body, 'application/x-www-form-urlencoded', headers(body));
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(await requestCount()).toBe(before);
  });

  it('acts once on a valid request replayed within the window', async () => {
    const before = await requestCount();
    const body = form('request dev-api 30m replayed');
    const headers = signSlackRequest(SIGNING_SECRET, body, now());
    expect((await h.post(body, 'application/x-www-form-urlencoded', headers)).status).toBe(200);
    expect((await h.post(body, 'application/x-www-form-urlencoded', headers)).status).toBe(200);
    await h.slack.waitForResponse((b) => String(b.text).includes('replayed'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await requestCount()).toBe(before + 1);
  });

  it("answers Slack's URL verification challenge when signed", async () => {
    const answer = await h.post(JSON.stringify({ type: 'url_verification', challenge: 'abc123' }), 'application/json');
    expect(answer.json()).toEqual({ challenge: 'abc123' });
  });
});

describe('verifySlackSignature', () => {
  const body = 'token=x&text=hello';
  it('accepts what signSlackRequest signs, within 5 minutes either way', () => {
    for (const skew of [0, -299, 299]) {
      const h = signSlackRequest('s3cret', body, 1_800_000_000 + skew);
      expect(verifySlackSignature({ signingSecret: 's3cret', rawBody: body, timestamp: h['x-slack-request-timestamp'], signature: h['x-slack-signature'], nowMs: 1_800_000_000_000 })).toEqual({ ok: true });
    }
  });

  it('refuses a body changed after signing', () => {
    const h = signSlackRequest('s3cret', body, 1_800_000_000);
    const check = verifySlackSignature({ signingSecret: 's3cret', rawBody: `${body}&x=1`, timestamp: h['x-slack-request-timestamp'], signature: h['x-slack-signature'], nowMs: 1_800_000_000_000 });
    expect(check).toEqual({ ok: false, reason: 'signature mismatch' });
  });
});
