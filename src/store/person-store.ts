/**
 * Makes Person and ServiceAccount rows match the policy at each load (DESIGN.md section 3). Persons the policy
 * no longer lists are disabled, never deleted (audit and history refer to them); the ids newly disabled are
 * returned so the caller can offboard them (revoke grants, cancel pending requests).
 *
 * A chat identity the policy leaves null is kept: it may have been learned from a chat look-up. One the policy
 * declares is moved to this person, taken from any other row holding it (ids are unique).
 */
import type { PersonRecord } from '../core/ports.ts';
import type { Person as PersonRow, Prisma } from '../generated/prisma/client.ts';
import type { RunTransaction } from './transaction.ts';

const CHAT_IDENTITIES = ['slackUserId', 'teamsAadObjectId'] as const;

export function syncPeople(
  run: RunTransaction,
  people: PersonRecord[],
  serviceAccounts: Array<{ id: string; ownerId: string }>,
): Promise<string[]> {
  return run(async (tx) => {
    const now = new Date();
    const existing = new Map((await tx.person.findMany()).map((row) => [row.id, row]));
    const listed = new Set(people.map((person) => person.id));

    const missing = [...existing.values()].filter((row) => !listed.has(row.id) && !row.disabled).map((row) => row.id);
    if (missing.length > 0) {
      await tx.person.updateMany({ where: { id: { in: missing } }, data: { disabled: true, updatedAt: now } });
    }

    await releaseClaimedIdentities(tx, people, existing, now);

    const explicitlyDisabled: string[] = [];
    const created: Prisma.PersonCreateManyInput[] = [];
    for (const person of people) {
      const row = existing.get(person.id);
      if (!row) {
        created.push({
          id: person.id,
          email: person.email,
          displayName: person.displayName,
          slackUserId: person.slackUserId,
          teamsAadObjectId: person.teamsAadObjectId,
          disabled: person.disabled,
          createdAt: now,
          updatedAt: now,
        });
        continue;
      }
      const next = {
        email: person.email,
        displayName: person.displayName,
        slackUserId: person.slackUserId ?? row.slackUserId,
        teamsAadObjectId: person.teamsAadObjectId ?? row.teamsAadObjectId,
        disabled: person.disabled,
      };
      if (!row.disabled && person.disabled) explicitlyDisabled.push(person.id);
      if ((Object.keys(next) as Array<keyof typeof next>).some((key) => next[key] !== row[key])) {
        await tx.person.update({ where: { id: person.id }, data: { ...next, updatedAt: now } });
      }
    }
    if (created.length > 0) await tx.person.createMany({ data: created });

    await syncServiceAccounts(tx, serviceAccounts, now);
    return [...missing, ...explicitlyDisabled];
  });
}

/** Clears a declared chat identity from whichever other row holds it, before anyone is updated. */
async function releaseClaimedIdentities(
  tx: Prisma.TransactionClient,
  people: PersonRecord[],
  existing: Map<string, PersonRow>,
  now: Date,
): Promise<void> {
  for (const key of CHAT_IDENTITIES) {
    const holderOf = new Map<string, PersonRow>();
    for (const row of existing.values()) if (row[key] !== null) holderOf.set(row[key], row);
    for (const person of people) {
      const value = person[key];
      const holder = value === null ? undefined : holderOf.get(value);
      if (!holder || holder.id === person.id) continue;
      await tx.person.update({ where: { id: holder.id }, data: { [key]: null, updatedAt: now } });
      holder[key] = null;
    }
  }
}

async function syncServiceAccounts(
  tx: Prisma.TransactionClient,
  accounts: Array<{ id: string; ownerId: string }>,
  now: Date,
): Promise<void> {
  if (accounts.length === 0) return;
  const existing = new Map(
    (await tx.serviceAccount.findMany({ where: { id: { in: accounts.map((account) => account.id) } } })).map(
      (row) => [row.id, row],
    ),
  );
  const created = accounts.filter((account) => !existing.has(account.id));
  if (created.length > 0) {
    await tx.serviceAccount.createMany({
      data: created.map((account) => ({ id: account.id, ownerId: account.ownerId, createdAt: now, updatedAt: now })),
      skipDuplicates: true,
    });
  }
  for (const account of accounts) {
    const row = existing.get(account.id);
    if (row && row.ownerId !== account.ownerId) {
      await tx.serviceAccount.update({ where: { id: account.id }, data: { ownerId: account.ownerId, updatedAt: now } });
    }
  }
}
