/**
 * The gateway's own host key: from STINT_SSH_HOST_KEY (`env:NAME` / `file:/path`), or generated once into
 * STINT_DATA_DIR/ssh_host_ed25519_key (mode 600) so clients that pinned its fingerprint keep trusting it.
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { StintError } from '../domain/errors.ts';
import { resolveSecret } from '../providers/secrets.ts';
import { generateSshKeyPair } from './ssh-keys.ts';

export interface HostKey {
  /** The private key as ssh2's server takes it. */
  privateKey: string;
  /** `SHA256:<base64, no padding>` of the public key blob, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
}

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

export async function loadHostKey(options: { ref?: string; dataDir: string; env: Record<string, string | undefined> }): Promise<HostKey> {
  const text = options.ref ? await fromRef(options.ref, options.env) : fromDataDir(options.dataDir);
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) {
    const why = parsed instanceof Error ? parsed.message : 'unreadable';
    if (options.ref) {
      throw new StintError('CONFIG_INVALID', `STINT_SSH_HOST_KEY: not an unencrypted private key (${why}); give an OpenSSH or PEM private key`, {
        variables: ['STINT_SSH_HOST_KEY'],
      });
    }
    // A key Stint wrote itself (or one an earlier build's generator got wrong): say which file and how to recover.
    const path = join(options.dataDir, HOST_KEY_FILE);
    throw new StintError('CONFIG_INVALID', `${path}: not an unencrypted private key (${why}); delete it to have a new one generated (ssh clients will see a new host key), or set STINT_SSH_HOST_KEY`, {
      variables: ['STINT_SSH_HOST_KEY', 'STINT_DATA_DIR'],
    });
  }
  return { privateKey: text, fingerprint: keyFingerprint(parsed.getPublicSSH()) };
}

/** `SHA256:…` of a public key blob (the wire format), as OpenSSH shows fingerprints. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

async function fromRef(ref: string, env: Record<string, string | undefined>): Promise<string> {
  try {
    const value = await resolveSecret(ref, env);
    return value.endsWith('\n') ? value : `${value}\n`;
  } catch (err) {
    throw new StintError('CONFIG_INVALID', `STINT_SSH_HOST_KEY: ${err instanceof Error ? err.message.replace(/^secret /, '') : String(err)}`, { variables: ['STINT_SSH_HOST_KEY'] });
  }
}

function fromDataDir(dataDir: string): string {
  // PGlite's `memory://` has no folder: tests get a key that lives as long as the process.
  if (dataDir.startsWith('memory://')) return generateSshKeyPair().private;
  const path = join(dataDir, HOST_KEY_FILE);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const generated = generateSshKeyPair('stint gateway').private;
  // Written whole to a private temp file, then linked into place (atomic, and refused when the key exists): two
  // processes starting at once do not overwrite each other's key, and the loser never reads a half-written one.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, generated, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, path);
    return generated;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(path, 'utf8');
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}
