/**
 * Failed gateway logins per client address. Every refused login is a chained audit event, and the chain takes its
 * commits one at a time: without a bound, anyone who can reach the port could fill the audit log and slow every
 * approval by opening connection after connection. After `limit` failures within `windowMs` the address is
 * blocked for `blockMs`: its logins are refused without a look-up, and only the start of the block is audited.
 * IPv6 addresses count by their /64 (one host usually holds the whole prefix). The table is bounded: past
 * `maxAddresses` the entry seen longest ago goes first.
 */
import { isIPv6 } from 'node:net';

export interface LoginThrottleOptions {
  /** @defaultValue 10 */
  limit?: number;
  /** @defaultValue 60_000 */
  windowMs?: number;
  /** @defaultValue 300_000 */
  blockMs?: number;
  /** @defaultValue 10_000 */
  maxAddresses?: number;
}

interface Entry {
  /** Times of the failures still inside the window, oldest first. */
  failures: number[];
  blockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly maxAddresses: number;

  constructor(options: LoginThrottleOptions = {}) {
    this.limit = options.limit ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.blockMs = options.blockMs ?? 300_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** When the address's block ends (ms since epoch), or undefined when it may try. */
  blockedUntil(ip: string, now: number): number | undefined {
    const entry = this.entries.get(addressKey(ip));
    return entry && entry.blockedUntil > now ? entry.blockedUntil : undefined;
  }

  /** Counts a failure; returns the end of the block when this failure started one. */
  recordFailure(ip: string, now: number): number | undefined {
    const key = addressKey(ip);
    const entry = this.entries.get(key) ?? { failures: [], blockedUntil: 0 };
    // Re-inserted so the map's order is "seen longest ago" first, which the bound below relies on.
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.failures = entry.failures.filter((t) => t > now - this.windowMs);
    entry.failures.push(now);
    if (this.entries.size > this.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    if (entry.failures.length < this.limit) return undefined;
    entry.failures = [];
    entry.blockedUntil = now + this.blockMs;
    return entry.blockedUntil;
  }
}

function addressKey(ip: string): string {
  const plain = ip.startsWith('::ffff:') && !ip.slice(7).includes(':') ? ip.slice(7) : ip;
  if (!isIPv6(plain)) return plain;
  return `${expandIPv6(plain).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded (zone ids dropped). */
function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...fill, ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''));
}
