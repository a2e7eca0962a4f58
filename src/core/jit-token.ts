/**
 * The stint_jit_ credential's wire format (DESIGN.md section 6): `stint_jit_` + 32 random bytes in base64url. Only
 * its SHA-256 is ever stored (invariant 6), under the same hash function as the stint_live_ API tokens.
 */
import { randomBytes } from 'node:crypto';
import { hashToken } from './manage-tokens.ts';

export const JIT_TOKEN_PREFIX = 'stint_jit_';

export interface MintedJitToken {
  /** The raw value: handed to the requester once, never stored, logged or queued. */
  token: string;
  hash: string;
  /** What names it in listings (the first 8 characters after the prefix): not enough to use it. */
  prefix: string;
}

export function mintJitToken(): MintedJitToken {
  const token = `${JIT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token), prefix: token.slice(0, JIT_TOKEN_PREFIX.length + 8) };
}

export function isJitToken(value: string): boolean {
  return value.startsWith(JIT_TOKEN_PREFIX) && value.length > JIT_TOKEN_PREFIX.length;
}
