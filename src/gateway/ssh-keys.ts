/**
 * Ed25519 key pairs in OpenSSH's own formats, made with node:crypto.
 *
 * Why not ssh2.utils.generateKeyPairSync('ed25519'): it drops a leading zero byte of the public key or the seed
 * when it copies them into the OpenSSH blob, so about one key in 215 comes out 31 bytes long and ssh2 itself then
 * refuses it ("Malformed OpenSSH private key"). For the gateway's host key that is a broker that never starts
 * again; for a session key, a launch that fails. Here every field is written at its fixed length.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export interface SshKeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` …, unencrypted. */
  private: string;
  /** `ssh-ed25519 AAAA… [comment]`, one authorized_keys line without the newline. */
  public: string;
}

const KEY_TYPE = 'ssh-ed25519';
/** The DER of a PKCS#8 Ed25519 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateSshKeyPair(comment = ''): SshKeyPair {
  return encodeKeyPair(generateKeyPairSync('ed25519').privateKey, comment);
}

/** The same from a given 32-byte seed: the same seed gives the same keys (tests use it for edge cases). */
export function sshKeyPairFromSeed(seed: Buffer, comment = ''): SshKeyPair {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return encodeKeyPair(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' }), comment);
}

function encodeKeyPair(privateKey: KeyObject, comment: string): SshKeyPair {
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url');
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(pub)]);
  // PROTOCOL.key: the private section starts with a repeated check word and is padded 1, 2, 3, … to the cipher's
  // block size (8 for "none").
  const check = randomBytes(4);
  const unpadded = Buffer.concat([check, check, sshString(KEY_TYPE), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const padding = Buffer.from(Array.from({ length: (8 - (unpadded.length % 8)) % 8 }, (_, i) => i + 1));
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([unpadded, padding])),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g)!;
  return {
    private: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    public: [KEY_TYPE, publicBlob.toString('base64'), ...(comment ? [comment] : [])].join(' '),
  };
}

function sshString(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}
