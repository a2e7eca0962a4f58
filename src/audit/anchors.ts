/**
 * Signed anchors of the audit chain (DESIGN.md section 8). The hash chain shows an edited or removed event, but
 * someone with database access can rewrite the whole chain from the first changed event on and recompute every
 * hash. An anchor — the head's seq and hash, signed with Ed25519 (`STINT_AUDIT_SIGNING_KEY`) — shipped off the box
 * with the SIEM export pins what the chain was: `stint audit verify --anchors FILE` checks each anchor's signature
 * and that the chain still has that hash at that seq.
 *
 * The key is a PKCS#8 PEM Ed25519 private key (`openssl genpkey -algorithm ed25519`), given inline or as
 * `file:/path`. Anchors name the key by `keyId` (the first 16 hex of the SHA-256 of its public key), so keys can
 * be rotated and old anchors still verified with the old public key.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StintError } from '../domain/errors.ts';

export interface AuditAnchor {
  type: 'anchor';
  /** The anchored event's seq (decimal string, like the export's). */
  seq: string;
  hash: string;
  /** When it was signed (ISO 8601 UTC). */
  at: string;
  keyId: string;
  /** Ed25519 signature of `signedText(...)`, base64. */
  signature: string;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

const DOMAIN = 'stint-audit-anchor:v1';

function signedText(seq: string, hash: string, at: string): Buffer {
  return Buffer.from(`${DOMAIN}\n${seq}\n${hash}\n${at}`, 'utf8');
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function readKeyText(value: string, variable: string): string {
  if (!value.startsWith('file:')) return value.replace(/\\n/g, '\n');
  try {
    return readFileSync(value.slice('file:'.length), 'utf8');
  } catch (err) {
    throw new StintError('CONFIG_INVALID', `${variable}: cannot read ${value.slice('file:'.length)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { variable });
  }
}

/** The signing key from `STINT_AUDIT_SIGNING_KEY` (PEM, or `file:/path`); CONFIG_INVALID naming the variable otherwise. */
export function loadSigningKey(value: string, variable = 'STINT_AUDIT_SIGNING_KEY'): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readKeyText(value, variable));
  } catch (err) {
    if (err instanceof StintError) throw err;
    throw new StintError('CONFIG_INVALID', `${variable} is not a PEM private key; make one with \`openssl genpkey -algorithm ed25519\``, { variable });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new StintError('CONFIG_INVALID', `${variable} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; anchors are signed with Ed25519 (\`openssl genpkey -algorithm ed25519\`)`, { variable });
  }
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

/** A public key (PEM, SPKI) to verify anchors with, inline or `file:/path`. */
export function loadPublicKey(value: string, what = '--public-key'): KeyObject {
  try {
    const key = createPublicKey(readKeyText(value, what));
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch (err) {
    if (err instanceof StintError) throw err;
  }
  throw new StintError('INVALID_BODY', `${what} is not an Ed25519 public key in PEM (\`openssl pkey -in key.pem -pubout\`)`);
}

export function signAnchor(head: { seq: bigint; hash: string }, at: Date, key: SigningKey): AuditAnchor {
  const seq = head.seq.toString();
  const when = at.toISOString();
  return { type: 'anchor', seq, hash: head.hash, at: when, keyId: key.keyId, signature: sign(null, signedText(seq, head.hash, when), key.privateKey).toString('base64') };
}

/** The anchors among export lines (NDJSON; other lines are events and ignored); a damaged anchor line is an error. */
export function anchorsIn(text: string): AuditAnchor[] {
  const out: AuditAnchor[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.includes('"anchor"')) continue;
    let parsed: Partial<AuditAnchor>;
    try {
      parsed = JSON.parse(line) as Partial<AuditAnchor>;
    } catch {
      throw new StintError('INVALID_BODY', `anchors file, line ${i + 1}: not JSON (anchors come from \`stint audit export --format json\`)`);
    }
    if (parsed.type !== 'anchor') continue;
    if (![parsed.seq, parsed.hash, parsed.at, parsed.keyId, parsed.signature].every((v) => typeof v === 'string') || !/^\d+$/.test(parsed.seq!)) {
      throw new StintError('INVALID_BODY', `anchors file, line ${i + 1}: an anchor needs seq, hash, at, keyId and signature`);
    }
    out.push(parsed as AuditAnchor);
  }
  return out;
}

export type AnchorCheck = { ok: true; checked: number; lastSeq: string | null } | { ok: false; checked: number; seq: string; reason: string };

/**
 * Checks anchors, oldest first: each is signed by one of `keys` and the chain still holds its hash at its seq
 * (`hashAt`: the stored event's hash, or null when there is no event with that seq).
 */
export async function checkAnchors(anchors: AuditAnchor[], keys: KeyObject[], hashAt: (seq: bigint) => Promise<string | null>): Promise<AnchorCheck> {
  const byId = new Map(keys.map((k) => [keyIdOf(k), k]));
  const sorted = [...anchors].sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : BigInt(a.seq) > BigInt(b.seq) ? 1 : 0));
  let checked = 0;
  for (const anchor of sorted) {
    const key = byId.get(anchor.keyId);
    if (!key) return { ok: false, checked, seq: anchor.seq, reason: `signed with key ${anchor.keyId}, which is not among the keys given (${[...byId.keys()].join(', ') || 'none'})` };
    if (!verify(null, signedText(anchor.seq, anchor.hash, anchor.at), key, Buffer.from(anchor.signature, 'base64'))) {
      return { ok: false, checked, seq: anchor.seq, reason: 'the anchor\'s signature does not verify: the anchor itself was altered' };
    }
    const stored = await hashAt(BigInt(anchor.seq));
    if (stored === null) return { ok: false, checked, seq: anchor.seq, reason: `the chain has no event ${anchor.seq} any more, though it was signed at ${anchor.at}` };
    if (stored !== anchor.hash) {
      return { ok: false, checked, seq: anchor.seq, reason: `the chain's hash there is ${stored}, but ${anchor.hash} was signed at ${anchor.at}: the chain was rewritten` };
    }
    checked++;
  }
  return { ok: true, checked, lastSeq: sorted.at(-1)?.seq ?? null };
}
