/**
 * Escalation reaches on-call for real (issue 7): the app configured with a PagerDuty routing key pages the
 * Events API v2 (the contract-enforcing fake) when a request's step names a PagerDuty-scheduled rotation, once
 * however often the step's timer fires, and a request decided before its step pages nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { advanceRequest } from '../../src/core/advance-request.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';

const YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
timezone: UTC
oncall:
  dba-pager: { pagerduty: { scheduleId: PSCHED1 } }
resources:
  - { id: prod-orders-db, provider: { type: postgres, connection: "env:X", role: orders_rw }, maxDuration: 4h, workflow: two-dba }
workflows:
  two-dba:
    eligible: [group:sre]
    approvers: [group:dba]
    required: 1
    approvalWindow: 1h
    escalation:
      - { after: 1s, notify: [oncall:dba-pager] }
`;

let pd: FakePagerDuty;
let app: App;
beforeAll(async () => {
  pd = await startFakePagerDuty();
  app = await createApp({
    env: { STINT_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', PAGERDUTY_ROUTING_KEY: pd.routingKey, PAGERDUTY_EVENTS_URL: pd.url },
    overrides: { policy: parsePolicy(YAML, 'paging.yaml'), providers: [{ ...createNoopProvider(), type: 'postgres' }], logger: createLogger('silent'), notifier: new RecordingNotifier() },
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await pd?.close();
});

const alice = { id: 'alice', kind: 'person', scopes: ['request'], via: 'api' } as const;
const request = async () => (await createRequest(alice, { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-3 stuck queue' }, app.core)).request.id;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('escalation paging', () => {
  it('pages PagerDuty once when the step falls due, however often its timer fires', async () => {
    const id = await request();
    await sleep(1_100);
    expect(await advanceRequest(id, app.grants)).toBe('escalated');
    expect(await advanceRequest(id, app.grants)).toBe('nothing');
    await expect.poll(() => pd.events.filter((e) => JSON.stringify(e).includes(id)).length).toBe(1);
    const event = pd.events.find((e) => JSON.stringify(e).includes(id));
    expect(event).toMatchObject({ routing_key: pd.routingKey, event_action: 'trigger', payload: { severity: 'error' } });
    expect(event.payload.summary).toContain(id);
  });

  it('a request decided before its step pages nobody', async () => {
    const id = await request();
    await decideRequest({ id: 'carol', kind: 'person', scopes: ['approve'], via: 'api' }, { requestId: id, verdict: 'approve' }, app.core);
    await sleep(1_100);
    await advanceRequest(id, app.grants);
    await sleep(200);
    expect(pd.events.filter((e) => JSON.stringify(e).includes(id))).toEqual([]);
  });
});
