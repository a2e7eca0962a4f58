/** A real app (store, policy, HTTP server) for API tests; tokens minted per person. */
import { createApp, type App } from '../../src/app.ts';
import { injectCall } from './inject-call.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { createLogger } from '../../src/logger.ts';
import type { Policy } from '../../src/policy/model.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { testPolicy } from './policy-fixture.ts';

export interface ApiHarness {
  app: App;
  clock: FixedClock;
  notifier: RecordingNotifier;
  tokens: Record<string, string>;
  call(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function apiHarness(options: { databaseUrl?: string; policy?: Policy; people?: string[]; env?: Record<string, string> } = {}): Promise<ApiHarness> {
  const clock = new FixedClock(new Date());
  const notifier = new RecordingNotifier();
  const policy = options.policy ?? testPolicy();
  const app = await createApp({
    env: { ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { STINT_DATA_DIR: 'memory://' }), LOG_LEVEL: 'silent', ...options.env },
    overrides: { clock, notifier, policy, logger: createLogger('silent') },
  });
  const tokens: Record<string, string> = {};
  for (const id of options.people ?? ['alice', 'bob', 'carol', 'dave', 'frank', 'erin', 'mallory']) {
    // erin is the test policy's admin; her token may also read the audit log.
    const scopes = id === 'erin' ? ['request', 'approve', 'audit:read'] : undefined;
    tokens[id] = (await issueToken({ ownerId: id, issuedBy: 'test', scopes }, { tokens: app.store, clock, policy })).token;
  }
  return {
    app,
    clock,
    notifier,
    tokens,
    call: injectCall(app, tokens, { rawBearer: true }),
    close: () => app.close(),
  };
}
