/**
 * The audit hash chain (DESIGN.md section 8): hash = sha256(prevHash ‖ JCS(event)), where the hashed event is
 * `{seq, at (epoch ms), actor, action, requestId, data, prevHash}` in RFC 8785 canonical JSON.
 *
 * `canonicalJson` is our own RFC 8785 serializer: with the `canonicalize` package, `hashEvent` ran at about
 * 90k events/s on the 2-core VM, short of the 200k/s `stint audit verify` needs; with this one, about 300k/s
 * (sha256 is then a third of the cost). Its output must stay byte-identical to the package's, or every stored
 * hash stops verifying: test/audit/canonical-json.test.ts checks that with fast-check. Anything outside plain
 * JSON (toJSON, NaN, Infinity, lone surrogates, sparse arrays, bigint, functions, cycles) is handed to the
 * package, so even its edge cases and error messages stay the same.
 */
import * as crypto from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: bigint;
  at: Date;
  actor: string;
  action: string;
  requestId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
}

/** Thrown inside the fast path when a value needs the package's handling; never escapes this module. */
const NOT_PLAIN = Symbol('not plain JSON');
/** Deeper than this, the fast path gives up (cycles, or data nobody writes to an audit log). */
const MAX_DEPTH = 200;

/** String.prototype.isWellFormed (Node 20+; not in the ES2022 lib typings): false when a surrogate is unpaired. */
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** Strings JSON.stringify would copy unchanged between quotes (no escapes, no surrogates to check). */
const NEEDS_NO_ESCAPING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

function quote(text: string): string {
  // The regex plus concatenation is about three times faster than JSON.stringify for the common case.
  if (NEEDS_NO_ESCAPING.test(text)) return '"' + text + '"';
  if (!isWellFormed(text)) throw NOT_PLAIN;
  return JSON.stringify(text);
}

/** Sorts by UTF-16 code units (what `<` and the default sort compare); insertion sort wins for small objects. */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function number(value: number): string {
  // RFC 8785 section 3.2.2.3 prescribes ECMAScript Number::toString, which String() is (and -0 gives "0").
  if (!Number.isFinite(value)) throw NOT_PLAIN;
  return String(value);
}

/**
 * `at` as Number::toString, several times faster than String() on a large double: the two halves are small
 * integers, which V8 formats cheaply. Same digits as String() for any safe integer ≥ 1e6.
 */
function epochMs(value: number): string {
  if (value >= 1e6 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value)) {
    const high = Math.floor(value / 1e6);
    return String(high) + String(value - high * 1e6 + 1e6).slice(1);
  }
  return number(value);
}

/** Audit data reuses a few keys over and over; remembering them quoted saves a regex test each. Bounded. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_MAX = 1000;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    if (quotedKeys.size < QUOTED_KEYS_MAX && key.length <= 64) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return number(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw NOT_PLAIN;
  }
  if (value === null) return 'null';
  if (depth > MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      // A hole (sparse array) is skipped by the package's Array.map: leave that oddity to the package.
      if (item === undefined && !(i in value)) throw NOT_PLAIN;
      out += item === undefined || typeof item === 'symbol' ? 'null' : serialize(item, depth + 1);
    }
    return out + ']';
  }
  const object = value as Record<string, unknown>;
  // RFC 8785 section 3.2.3: keys ordered by their UTF-16 code units.
  const keys = sortKeys(Object.keys(object));
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = object[key];
    if (item === undefined || typeof item === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += quoteKey(key) + ':' + serialize(item, depth + 1);
  }
  return out + '}';
}

/** RFC 8785 canonical JSON, byte-identical to the `canonicalize` package (undefined where it returns undefined). */
export function canonicalJson(value: unknown): string | undefined {
  try {
    return serialize(value, 0);
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return canonicalize(value);
  }
}

export function canonicalEvent(event: ChainedFields): string {
  try {
    // The seven keys written out in their sorted order. Each goes through `serialize`, so a field of an
    // unexpected runtime type (undefined requestId, …) falls back to the package like everything else.
    return (
      '{"action":' +
      serialize(event.action, 1) +
      ',"actor":' +
      serialize(event.actor, 1) +
      ',"at":' +
      epochMs(event.at.getTime()) +
      ',"data":' +
      serialize(event.data, 1) +
      ',"prevHash":' +
      serialize(event.prevHash, 1) +
      ',"requestId":' +
      serialize(event.requestId, 1) +
      ',"seq":' +
      serialize(Number(event.seq), 1) +
      '}'
    );
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
  }
  const text = canonicalize({
    seq: Number(event.seq),
    at: event.at.getTime(),
    actor: event.actor,
    action: event.action,
    requestId: event.requestId,
    data: event.data,
    prevHash: event.prevHash,
  });
  if (text === undefined) throw new Error('audit event cannot be canonicalised');
  return text;
}

/** A prevHash no real chain has (hashes are lowercase hex): marks where the real one goes. */
const PREV_HASH_SLOT = 'P'.repeat(64);
const PREV_HASH_KEY = '"prevHash":"';
const SEQ_SLOT = ',"seq":0}';

/**
 * The canonical JSON of an event cut around its two unknowns, for chaining at commit time (migration
 * 20261202125000_audit_chain_at_commit): `canonicalEvent(event)` is `head + prevHash + tail + seq + '}'`. prevHash
 * and seq are the last two values JCS writes but one (keys sort action, actor, at, data, prevHash, requestId, seq),
 * so the cut is found from the end and data cannot fool it.
 */
export function canonicalEventParts(event: Omit<ChainedFields, 'seq' | 'prevHash'>): { head: string; tail: string } {
  const text = canonicalEvent({ ...event, seq: 0n, prevHash: PREV_HASH_SLOT });
  const slot = text.lastIndexOf(PREV_HASH_KEY + PREV_HASH_SLOT + '"');
  if (slot < 0 || !text.endsWith(SEQ_SLOT)) throw new Error('audit event cannot be cut around prevHash and seq');
  const headEnd = slot + PREV_HASH_KEY.length;
  return { head: text.slice(0, headEnd), tail: text.slice(headEnd + PREV_HASH_SLOT.length, text.length - SEQ_SLOT.length) + ',"seq":' };
}

// crypto.hash (one-shot, about twice as fast as createHash) exists from Node 20.12; engines allows 20.10.
const oneShotHash = (crypto as { hash?: typeof crypto.hash }).hash;
const sha256Hex: (text: string) => string =
  typeof oneShotHash === 'function'
    ? (text) => oneShotHash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

export function hashEvent(event: ChainedFields): string {
  return sha256Hex(event.prevHash + canonicalEvent(event));
}
