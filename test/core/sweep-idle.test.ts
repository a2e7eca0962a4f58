/** Idle revocation's rules (issue 12), with a provider whose activity the test sets. */
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../src/core/ports.ts';
import { sweepIdle } from '../../src/core/sweep-idle.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { activeDevRequest, grantHarness } from '../support/grant-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';

function watched(activity: Provider['activity']) {
  const provider: Provider = { ...createNoopProvider(), activity };
  const h = grantHarness({ postgres: provider });
  h.policy.replace(parsePolicy(POLICY_YAML.replace('    maxDuration: 8h\n    workflow: dev-auto', '    maxDuration: 8h\n    idleTimeout: 10m\n    workflow: dev-auto'), 'idle.yaml'));
  return h;
}

describe('sweepIdle', () => {
  it('counts a grant never used from its activation, and revokes it with cause idle once past the timeout', async () => {
    const h = watched(async () => ({ active: false, lastAt: null }));
    const request = await activeDevRequest(h);
    h.clock.advance(9 * 60_000);
    expect((await sweepIdle(h.grantPorts)).revoked).toEqual([]);
    h.clock.advance(2 * 60_000);
    expect((await sweepIdle(h.grantPorts)).revoked).toEqual([request.id]);
    expect(await h.store.getRequest(request.id)).toMatchObject({ status: 'REVOKED', revokeCause: 'idle' });
    const revoking = h.store.state.audit.find((e) => e.requestId === request.id && e.action === 'grant.revoking');
    expect(revoking?.data).toMatchObject({ cause: 'idle', comment: 'no activity for 11m (idleTimeout)' });
  });

  it('remembers activity it saw on the handle, so a session that ended still counts', async () => {
    let seen: { active: boolean; lastAt: Date | null } = { active: true, lastAt: null };
    const h = watched(async () => seen);
    const request = await activeDevRequest(h);
    h.clock.advance(8 * 60_000);
    await sweepIdle(h.grantPorts); // active now: remembered as the last activity
    const [handle] = await h.store.listGrantHandles(request.id);
    expect(handle?.data.lastActivityAt).toBe(h.clock.now().toISOString());
    seen = { active: false, lastAt: null }; // the session ended
    h.clock.advance(8 * 60_000);
    expect((await sweepIdle(h.grantPorts)).revoked).toEqual([]);
    h.clock.advance(3 * 60_000);
    expect((await sweepIdle(h.grantPorts)).revoked).toEqual([request.id]);
  });

  it('never revokes blind: activity it cannot read is reported and the grant stays', async () => {
    const h = watched(async () => {
      throw new Error('connection refused');
    });
    const request = await activeDevRequest(h);
    h.clock.advance(60 * 60_000);
    const swept = await sweepIdle(h.grantPorts);
    expect(swept.revoked).toEqual([]);
    expect(swept.errors).toEqual([`${request.id}/dev-api: connection refused`]);
    expect((await h.store.getRequest(request.id))?.status).toBe('ACTIVE');
  });

  it('leaves resources without idleTimeout alone, and asks no provider at all when the policy watches none', async () => {
    let asked = 0;
    const provider: Provider = { ...createNoopProvider(), activity: async () => (asked++, { active: false, lastAt: null }) };
    const h = grantHarness({ postgres: provider });
    const request = await activeDevRequest(h);
    h.clock.advance(24 * 3_600_000);
    expect(await sweepIdle(h.grantPorts)).toEqual({ checked: 0, revoked: [], errors: [] });
    expect(asked).toBe(0);
    expect((await h.store.getRequest(request.id))?.status).not.toBe('REVOKED');
  });
});
