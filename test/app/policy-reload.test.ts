/** The running app follows its policy file: reloads on change, offboards who left, keeps the last good policy. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { createLogger } from '../../src/logger.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(yaml: string, notifier = new RecordingNotifier()) {
  const file = join(mkdtempSync(join(tmpdir(), 'stint-reload-')), 'stint.yaml');
  writeFileSync(file, yaml);
  app = await createApp({ env: { STINT_DATA_DIR: 'memory://', STINT_POLICY: file }, overrides: { notifier, logger: createLogger('silent') } });
  return { app, file, notifier };
}

const actions = async (a: App) => (await a.store.readAudit(0n, 1000)).map((e) => e.action);

describe('policy reload', () => {
  it('picks up a changed file and audits the reload', async () => {
    const { app, file } = await start(POLICY_YAML);
    const before = app.policy.current().fingerprint;
    writeFileSync(file, POLICY_YAML.replace('maxDuration: 4h', 'maxDuration: 3h'));
    await until(() => app.policy.current().fingerprint !== before, 'the reload');
    await until(async () => (await actions(app)).includes('policy.reloaded'), 'the audit event');
  });

  it('tells each resource what its grants give, in its provider\'s words (for cards), at start and at reload', async () => {
    const { app, file } = await start(POLICY_YAML);
    const access = () => app.policy.current().resources.find((r) => r.id === 'prod-orders-db')?.access;
    expect(access()).toBe('PostgreSQL: membership in role orders_rw for your own login');
    writeFileSync(file, POLICY_YAML.replace('role: orders_rw', 'role: orders_ro'));
    await until(() => access() === 'PostgreSQL: membership in role orders_ro for your own login', 'the reloaded description');
  });

  it('keeps the last good policy when the new file is broken, and says why', async () => {
    const { app, file, notifier } = await start(POLICY_YAML);
    const before = app.policy.current().fingerprint;
    writeFileSync(file, POLICY_YAML.replace('    required: 2\n', '    requird: 2\n'));
    await until(() => notifier.sent.some((n) => n.kind === 'policy.reload_failed'), 'the failure notice');
    expect(app.policy.current().fingerprint).toBe(before);
    const failed = notifier.sent.find((n) => n.kind === 'policy.reload_failed');
    expect(failed && 'message' in failed ? failed.message : '').toMatch(/stint\.yaml:\d+:.*requird/);
    expect(await actions(app)).toContain('policy.reload_failed');
  });

  it('keeps the last good policy when a provider refuses a resource of the new one', async () => {
    const { app, file, notifier } = await start(POLICY_YAML);
    const before = app.policy.current().fingerprint;
    writeFileSync(file, POLICY_YAML.replace('role: orders_rw', `role: 'orders"; DROP ROLE x; --'`));
    await until(() => notifier.sent.some((n) => n.kind === 'policy.reload_failed'), 'the failure notice');
    expect(app.policy.current().fingerprint).toBe(before);
  });

  it('cancels the pending requests of a person the new policy disables, cause offboarded', async () => {
    const { app, file } = await start(POLICY_YAML);
    const actor = { id: 'alice', kind: 'person' as const, scopes: ['request' as const], via: 'api' as const };
    const { request } = await createRequest(actor, { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'x' }, app.core);
    writeFileSync(file, POLICY_YAML.replace('{ id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }', '{ id: alice, email: alice@example.com, groups: [sre], disabled: true }'));
    await until(async () => (await app.store.getRequest(request.id))?.status === 'CANCELLED', 'the cancellation');
    const events = await app.store.readAudit(0n, 1000);
    const cancelled = events.find((e) => e.requestId === request.id && e.action === 'request.cancelled');
    expect(cancelled?.data).toMatchObject({ cause: 'offboarded' });
  });
});
