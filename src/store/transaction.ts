/**
 * Interactive transactions with explicit limits (DESIGN.md section 3), and a guard against using the store
 * itself from inside one of its own transactions. That is always a bug: the work would run outside the
 * transaction (not rolled back with it, invariant 4), on PostgreSQL it takes a second pool connection (a pool
 * deadlock under load), and on PGlite — one session — it waits for the transaction to end, i.e. until timeout.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DATABASE_BUSY, StintError } from '../domain/errors.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

export interface TransactionLimits {
  /** How long to wait for a connection / the database to start the transaction (ms). @defaultValue 5000 */
  maxWait: number;
  /** How long the transaction may run before it is rolled back (ms). @defaultValue 15000 */
  timeout: number;
}

export const DEFAULT_TRANSACTION_LIMITS: TransactionLimits = { maxWait: 5_000, timeout: 15_000 };

/** Runs `work` in one interactive transaction with the store's limits. */
export type RunTransaction = <T>(work: (tx: Prisma.TransactionClient) => Promise<T>) => Promise<T>;

interface OpenTransaction {
  owner: object;
  open: boolean;
}

const current = new AsyncLocalStorage<OpenTransaction>();

/** Throws when called (directly or through callbacks) from inside a transaction of `owner` still open. */
export function assertOutsideTransaction(owner: object, method: string): void {
  const scope = current.getStore();
  if (scope?.open && scope.owner === owner) {
    throw new Error(
      `store.${method}() was called inside store.transaction(); use the transaction's own methods (tx.…) ` +
        'or call it after the transaction has committed',
    );
  }
}

/** What a caller may wait before trying again when the database had no connection free (Retry-After). */
export const BUSY_RETRY_AFTER_SEC = 5;

/**
 * Prisma's P2028 "Unable to start a transaction in the given time": every pooled connection stayed busy for
 * `maxWait`. The transaction never began, so nothing of it happened; the caller is told so and when to retry
 * (a 503 with Retry-After, an ephemeral "try again") instead of an internal error.
 */
function isStartTimeout(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'P2028' && typeof e.message === 'string' && e.message.includes('Unable to start a transaction');
}

export function transactionRunner(owner: object, prisma: PrismaClient, limits: TransactionLimits): RunTransaction {
  return async (work) => {
    assertOutsideTransaction(owner, 'transaction');
    try {
      return await prisma.$transaction(
        (tx) => {
          const scope: OpenTransaction = { owner, open: true };
          // `open` turns false at the end so work scheduled from inside but run later is not refused.
          return current.run(scope, () => work(tx)).finally(() => {
            scope.open = false;
          });
        },
        { maxWait: limits.maxWait, timeout: limits.timeout },
      );
    } catch (err) {
      if (!isStartTimeout(err)) throw err;
      throw new StintError(
        'UNAVAILABLE',
        `Stint's database is too busy to take this step now (no connection was free within ${limits.maxWait / 1000} s); nothing was changed by it. Try again in a few seconds`,
        { retryAfterSec: BUSY_RETRY_AFTER_SEC, reason: DATABASE_BUSY },
      );
    }
  };
}
