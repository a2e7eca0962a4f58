/** Ports for use-case tests: an in-memory store, a fixed clock, a recording notifier and the test policy. */
import type { Actor } from '../../src/core/actor.ts';
import type { CorePorts } from '../../src/core/ports.ts';
import { PolicyHolder } from '../../src/policy/policy-holder.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { MemoryStore } from '../fakes/memory-store.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { RecordingScheduler } from '../fakes/recording-scheduler.ts';
import { testPolicy } from './policy-fixture.ts';

export function coreHarness(yaml?: string) {
  const store = new MemoryStore();
  const clock = new FixedClock();
  const notifier = new RecordingNotifier();
  const scheduler = new RecordingScheduler();
  const policy = new PolicyHolder(testPolicy(yaml));
  const ports: CorePorts = { store, clock, notifier, scheduler, policy, channels: new Set(['slack']) };
  return { store, clock, notifier, scheduler, policy, ports };
}

export function person(id: string, via: Actor['via'] = 'api'): Actor {
  return { id, kind: 'person', scopes: ['request', 'approve'], via };
}

export function service(id: string): Actor {
  return { id, kind: 'service', scopes: ['request'], via: 'api' };
}

export const ADMIN_TOKEN: Actor = { id: 'bootstrap', kind: 'bootstrap', scopes: ['request', 'approve', 'admin', 'introspect', 'audit:read'], via: 'api' };
