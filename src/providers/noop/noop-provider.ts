/**
 * A provider that grants nothing anywhere: an in-memory set of grants, for tests and benchmarks. `check`
 * reflects the set, so reconciler and lifecycle tests can assert presence without a real target.
 */
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';

export interface NoopProvider extends Provider {
  /** Keys (`requestId/resourceId`) of the grants currently present. */
  activeGrants(): string[];
}

function keyOf(handle: GrantHandleData): string {
  return String(handle.key);
}

export function createNoopProvider(): NoopProvider {
  const grants = new Map<string, Date>();
  return {
    type: 'noop',
    validate() {},
    async grant(_config, target: GrantTarget) {
      const key = `${target.requestId}/${target.resourceId}`;
      if (!grants.has(key)) grants.set(key, target.expiresAt);
      return { key };
    },
    async extend(_config, handle, newExpiry) {
      if (grants.has(keyOf(handle))) grants.set(keyOf(handle), newExpiry);
      return handle;
    },
    async revoke(_config, handle, { stillNeeded }) {
      if (!stillNeeded) grants.delete(keyOf(handle));
    },
    async check(_config, handle) {
      return grants.has(keyOf(handle)) ? 'present' : 'absent';
    },
    describe() {
      return 'no-op (in memory)';
    },
    activeGrants: () => [...grants.keys()],
  };
}
