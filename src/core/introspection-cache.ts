/**
 * Introspection lookups remembered for at most `maxAgeMs` (DESIGN.md section 6: "a cached introspection answer
 * lives at most 1 s or is invalidated across replicas on revoke"): other replicas see a revoke within that bound,
 * and this process forgets a request's entries at once when it revokes or rotates its credential. What is cached
 * is the stored facts, not the answer: expiry, suspension by policy and guardrails are judged at answer time.
 * Bounded: past `maxEntries` the oldest entry goes. Unknown hashes are cached too, so a flood of made-up tokens
 * costs one read per token a second at most.
 */
import type { JitCredentialLookup } from './ports.ts';

export interface IntrospectionCacheOptions {
  /**
   * Milliseconds on a monotonic clock (the composition root passes `performance.now`): the age bound is real time,
   * whatever the request clock of a test says.
   */
  now: () => number;
  /** @defaultValue 1000 */
  maxAgeMs?: number;
  /** @defaultValue 50000 */
  maxEntries?: number;
}

interface Entry {
  at: number;
  lookup: JitCredentialLookup | null;
}

export class IntrospectionCache {
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly byHash = new Map<string, Entry>();
  private readonly hashesOf = new Map<string, Set<string>>();
  private lastForget = -Infinity;

  constructor(options: IntrospectionCacheOptions) {
    this.now = options.now;
    this.maxAgeMs = options.maxAgeMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 50_000;
  }

  /** The cached lookup (null: known to be absent), or undefined when there is none fresh. */
  get(hash: string): JitCredentialLookup | null | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    const age = this.now() - entry.at;
    // A clock moved backwards counts as stale too: the bound must hold whatever the clock does.
    if (age < 0 || age >= this.maxAgeMs) {
      this.delete(hash);
      return undefined;
    }
    return entry.lookup;
  }

  /** `since`: the cache's `now()` taken before the read began, so the entry's age counts the read's time too. */
  set(hash: string, lookup: JitCredentialLookup | null, since: number = this.now()): void {
    this.delete(hash);
    // A read that overlapped a forget may carry what the forget was about: answer with it, do not keep it.
    if (since <= this.lastForget) return;
    this.byHash.set(hash, { at: since, lookup });
    if (lookup) {
      const hashes = this.hashesOf.get(lookup.requestId) ?? new Set<string>();
      hashes.add(hash);
      this.hashesOf.set(lookup.requestId, hashes);
    }
    while (this.byHash.size > this.maxEntries) this.delete(this.byHash.keys().next().value!);
  }

  /** Drops every entry of this request's credential (it was revoked, rotated or moved in this process). */
  forget(requestId: string): void {
    this.lastForget = this.now();
    for (const hash of this.hashesOf.get(requestId) ?? []) this.byHash.delete(hash);
    this.hashesOf.delete(requestId);
  }

  /** The clock the ages are measured on. */
  clock(): number {
    return this.now();
  }

  get size(): number {
    return this.byHash.size;
  }

  private delete(hash: string): void {
    const entry = this.byHash.get(hash);
    if (!entry) return;
    this.byHash.delete(hash);
    if (entry.lookup) {
      const hashes = this.hashesOf.get(entry.lookup.requestId);
      hashes?.delete(hash);
      if (hashes?.size === 0) this.hashesOf.delete(entry.lookup.requestId);
    }
  }
}
