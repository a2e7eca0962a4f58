/**
 * Host key pinning: a linux resource's `knownHosts` (OpenSSH known_hosts lines, inline or `file:/path`) lists
 * the keys its host may offer. Keys are compared as raw blobs; the host-name field is not matched, because the
 * lines belong to this one resource. Markers (`@cert-authority`, `@revoked`) are refused rather than half-honoured.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { StintError } from '../../domain/errors.ts';

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface PinnedKey {
  type: string;
  /** The base64 key blob (second field of a known_hosts line). */
  blob: string;
}

/** Parses known_hosts text; throws a plain Error naming the line when one cannot be a key line. */
export function parseKnownHosts(text: string): PinnedKey[] {
  const keys: PinnedKey[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('@')) throw new Error(`line ${index + 1}: markers like ${line.split(/\s+/)[0]} are not supported; list the host's own keys`);
    const fields = line.split(/\s+/);
    // `host type blob [comment]`, or `type blob` without the host field.
    const at = KEY_TYPE.test(fields[0]!) ? 0 : 1;
    const type = fields[at];
    const blob = fields[at + 1];
    if (!type || !KEY_TYPE.test(type) || !blob || !BASE64.test(blob)) throw new Error(`line ${index + 1} is not "host key-type base64-key"`);
    keys.push({ type, blob });
  });
  if (keys.length === 0) throw new Error('holds no key line');
  return keys;
}

/** The pinned keys of a config value: inline lines, or the lines of the file a `file:/path` names. */
export async function loadKnownHosts(value: string): Promise<PinnedKey[]> {
  let text = value;
  if (value.startsWith('file:')) {
    try {
      text = await readFile(value.slice('file:'.length), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new StintError('POLICY_INVALID', `linux provider: knownHosts ${value}: cannot read the file (${code}); check the path`);
    }
  }
  try {
    return parseKnownHosts(text);
  } catch (error) {
    throw new StintError('POLICY_INVALID', `linux provider: knownHosts ${(error as Error).message}`);
  }
}

/** `SHA256:…` as `ssh-keygen -lf` prints it (base64 without padding). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside a blob (its first length-prefixed string). */
export function blobType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + Math.min(length, 64)).toString('latin1');
}

export function isPinned(keys: readonly PinnedKey[], offered: Buffer): boolean {
  const offeredBase64 = offered.toString('base64');
  return keys.some((key) => key.blob === offeredBase64);
}
