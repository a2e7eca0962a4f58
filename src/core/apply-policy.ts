/**
 * A policy was loaded or reloaded: mirror its people and service accounts into the store, offboard whoever
 * left or was disabled (their pending requests cancelled, their grants ended), and audit the load.
 */
import type { Policy } from '../policy/model.ts';
import { offboardPeople } from './offboard-people.ts';
import type { AuditReader, CorePorts, PersonStore } from './ports.ts';

export async function applyPolicy(
  next: Policy,
  previous: Policy | undefined,
  ports: Omit<CorePorts, 'channels'> & { people: PersonStore; audit: AuditReader },
): Promise<{ offboarded: string[] }> {
  const people = [...next.people.values()].map((p) => ({
    id: p.id,
    email: p.email,
    displayName: p.name ?? null,
    slackUserId: p.slack ?? null,
    teamsAadObjectId: p.teams ?? null,
    disabled: p.disabled,
  }));
  const accounts = [...next.serviceAccounts.values()].map((a) => ({ id: a.id, ownerId: a.owner }));
  const newlyDisabled = await ports.people.syncPeople(people, accounts);
  const removedAccounts = previous ? [...previous.serviceAccounts.keys()].filter((id) => !next.serviceAccounts.has(id)) : [];
  const offboarded = [...new Set([...newlyDisabled, ...removedAccounts])];
  await ports.audit.appendAudit({
    actor: 'policy',
    action: previous ? 'policy.reloaded' : 'policy.loaded',
    data: { fingerprint: next.fingerprint, previous: previous?.fingerprint ?? null, source: next.source, offboarded },
    at: ports.clock.now(),
  });
  await offboardPeople(offboarded, ports);
  return { offboarded };
}
