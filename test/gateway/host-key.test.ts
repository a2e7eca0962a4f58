/** The gateway's host key: generated once into the data folder (mode 600) and reused, or read from STINT_SSH_HOST_KEY. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_KEY_FILE, loadHostKey } from '../../src/gateway/host-key.ts';
import { generateSshKeyPair } from '../../src/gateway/ssh-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { startFakeUpstream } from './fake-upstream.ts';

const MALFORMED_OPENSSH_KEY = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMgAAAAtz
c2gtZWQyNTUxOQAAAB8bC55QfFAThCtRlVsD3HduUehDRB14A+yBUmgqTIQVAAAA
iC0A7XktAO15AAAAC3NzaC1lZDI1NTE5AAAAHxsLnlB8UBOEK1GVWwPcd25R6ENE
HXgD7IFSaCpMhBUAAAA/rNB9RW9ZCGPjG2+oOE0A2Yp+qJ45Vzj7EvwOLlaPYFwb
C55QfFAThCtRlVsD3HduUehDRB14A+yBUmgqTIQVAAAAAAECAwQFBgc=
-----END OPENSSH PRIVATE KEY-----
`;
const dir = mkdtempSync(join(tmpdir(), 'stint-hostkey-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gateway host key', () => {
  it('generates an ed25519 key once into STINT_DATA_DIR with mode 600 and reuses it', async () => {
    const first = await loadHostKey({ dataDir: dir, env: {} });
    const path = join(dir, HOST_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain('OPENSSH PRIVATE KEY');
    const again = await loadHostKey({ dataDir: dir, env: {} });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('reads STINT_SSH_HOST_KEY from env:NAME and refuses what is not a private key', async () => {
    const key = generateSshKeyPair().private;
    const loaded = await loadHostKey({ ref: 'env:GW_KEY', dataDir: dir, env: { GW_KEY: key } });
    expect(loaded.privateKey.trim()).toBe(key.trim());
    await expect(loadHostKey({ ref: 'env:GW_KEY', dataDir: dir, env: { GW_KEY: 'nope' } })).rejects.toThrow(/STINT_SSH_HOST_KEY: not an unencrypted private key/);
    await expect(loadHostKey({ ref: 'env:MISSING', dataDir: dir, env: {} })).rejects.toThrow(/STINT_SSH_HOST_KEY: .*MISSING is not set/);
  });

  it('names the data-folder key file and how to recover when that file is not a usable key', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'stint-hostkey-broken-'));
    try {
      // The shape ssh2's own generator sometimes wrote: a 31-byte public key field.
      writeFileSync(join(broken, HOST_KEY_FILE), MALFORMED_OPENSSH_KEY, { mode: 0o600 });
      await expect(loadHostKey({ dataDir: broken, env: {} })).rejects.toThrow(
        new RegExp(`${HOST_KEY_FILE}: not an unencrypted private key \\(.*\\); delete it to have a new one generated`),
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('refuses an inline STINT_SSH_HOST_KEY and a bad STINT_SSH_PORT at start-up, naming the variable', () => {
    expect(() => loadConfig({ STINT_SSH_HOST_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----' })).toThrow(/STINT_SSH_HOST_KEY: env:NAME or file:\/path/);
    expect(() => loadConfig({ STINT_SSH_PORT: 'twenty-two' })).toThrow(/STINT_SSH_PORT: a port number/);
    expect(loadConfig({ STINT_SSH_PORT: '2222' }).ssh).toMatchObject({ enabled: true, port: 2222 });
    expect(loadConfig({}).ssh.enabled).toBe(false);
  });
});

describe('the fake target of the gateway tests', () => {
  it('accepts only the exact public key it was given', async () => {
    const upstream = await startFakeUpstream();
    try {
      const given = generateSshKeyPair();
      const other = generateSshKeyPair();
      upstream.allow('u1', given.public);
      const tryKey = (privateKey: string) =>
        new Promise<boolean>((resolve) => {
          const c = new ssh2.Client();
          c.on('ready', () => (c.end(), resolve(true)));
          c.on('error', () => resolve(false));
          c.connect({ host: '127.0.0.1', port: upstream.port, username: 'u1', privateKey, hostVerifier: () => true });
        });
      expect(await tryKey(other.private)).toBe(false);
      expect(await tryKey(given.private)).toBe(true);
    } finally {
      await upstream.close();
    }
  });
});
