/** Ed25519 keys in OpenSSH format: every seed gives a key ssh2 and ssh-keygen read, leading zero bytes included. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSshKeyPair, sshKeyPairFromSeed, type SshKeyPair } from '../../src/gateway/ssh-keys.ts';

const dir = mkdtempSync(join(tmpdir(), 'stint-sshkeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic seeds: sha256 of a counter, the first one whose public key starts with a zero byte. */
function seedWhosePublicKeyStartsWithZero(): Buffer {
  for (let i = 0; ; i++) {
    const seed = createHash('sha256').update(`seed-${i}`).digest();
    const blob = Buffer.from(sshKeyPairFromSeed(seed).public.split(' ')[1]!, 'base64');
    if (blob[blob.length - 32] === 0) return seed;
  }
}

function parsed(text: string): ssh2.ParsedKey {
  const key = ssh2.utils.parseKey(text);
  if (key instanceof Error) throw key;
  if (Array.isArray(key)) throw new Error('several keys');
  return key;
}

function expectUsable(pair: SshKeyPair): void {
  const privateKey = parsed(pair.private);
  const publicKey = parsed(pair.public);
  expect(privateKey.isPrivateKey()).toBe(true);
  expect(privateKey.getPublicSSH().equals(publicKey.getPublicSSH())).toBe(true);
  const data = Buffer.from('stint');
  expect(publicKey.verify(data, privateKey.sign(data) as Buffer)).toBe(true);
}

describe('ssh key pairs', () => {
  it('writes a seed that starts with a zero byte at its full length, so ssh2 reads the key and it signs', () => {
    const seed = Buffer.alloc(32, 7);
    seed[0] = 0;
    expectUsable(sshKeyPairFromSeed(seed));
  });

  it('writes a public key that starts with a zero byte at its full length', () => {
    const pair = sshKeyPairFromSeed(seedWhosePublicKeyStartsWithZero());
    expect(Buffer.from(pair.public.split(' ')[1]!, 'base64').readUInt32BE(15)).toBe(32);
    expectUsable(pair);
  });

  it('gives keys ssh-keygen reads: it derives the same public key and keeps the comment', () => {
    const pair = sshKeyPairFromSeed(seedWhosePublicKeyStartsWithZero(), 'stint gateway');
    const path = join(dir, 'key');
    writeFileSync(path, pair.private, { mode: 0o600 });
    expect(execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim()).toBe(pair.public);
    expect(pair.public).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* stint gateway$/);
  });

  it('generates a different usable pair each time', () => {
    const pairs = Array.from({ length: 300 }, () => generateSshKeyPair());
    for (const pair of pairs) expectUsable(pair);
    expect(new Set(pairs.map((p) => p.public)).size).toBe(300);
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => sshKeyPairFromSeed(Buffer.alloc(31))).toThrow(/32 bytes, got 31/);
  });
});
