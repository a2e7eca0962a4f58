/**
 * Secrets Stint must keep and read back (TOTP seeds) are sealed with AES-256-GCM under `STINT_SECRET_KEY`: the
 * database alone never reveals them. Sealed text: `v1.<iv>.<ciphertext>.<tag>` (base64url), so a key or format
 * change later can tell old from new. The key comes from the composition root; this file never reads env.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StintError } from '../domain/errors.ts';

export interface SecretBox {
  seal(plain: Buffer): string;
  /** Throws when the text was not sealed with this key (or was changed). */
  open(sealed: string): Buffer;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new StintError('CONFIG_INVALID', `STINT_SECRET_KEY must be 32 bytes (got ${key.length}): generate one with openssl rand -base64 32`);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return ['v1', iv, body, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    open(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || body === undefined || !tag) throw new Error('not a sealed secret of this version');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    },
  };
}
