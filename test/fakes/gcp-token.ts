/**
 * The OAuth side of the GCP contract fake: service-account keys the tests generate (a fresh RSA key pair and
 * the key JSON google-auth-library reads), and the check of a JWT-bearer assertion the way Google's token
 * endpoint does it: RS256 signature by the key of `iss`, `aud` = the token URL, the cloud-platform scope, a
 * live `exp` at most an hour after `iat`.
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceAccountKeyPair {
  clientEmail: string;
  publicKey: KeyObject;
  /** The key JSON as Google issues it, with `token_uri` pointing at the fake. */
  json: string;
}

export function generateServiceAccountKey(clientEmail: string, tokenUri: string): ServiceAccountKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyId = randomBytes(20).toString('hex');
  const json = JSON.stringify({
    type: 'service_account',
    project_id: clientEmail.split('@')[1]!.split('.')[0],
    private_key_id: keyId,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: '100000000000000000001',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    universe_domain: 'googleapis.com',
  });
  return { clientEmail, publicKey, json };
}

/** Writes the key JSON to `dir` and returns its path (for `credentials: file:/…`). */
export function writeKeyFile(dir: string, key: ServiceAccountKeyPair, name = 'key.json'): string {
  const path = join(dir, name);
  writeFileSync(path, key.json, { mode: 0o600 });
  return path;
}

export type AssertionCheck = { ok: true; clientEmail: string } | { ok: false; error: string; description: string };

function decodePart(part: string | undefined): Record<string, unknown> | null {
  if (!part) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** Checks a JWT-bearer assertion against the trusted keys; error codes as Google's token endpoint answers them. */
export function checkAssertion(assertion: string, keys: Map<string, KeyObject>, tokenUrl: string, nowSec: number): AssertionCheck {
  const parts = assertion.split('.');
  const header = decodePart(parts[0]);
  const claims = decodePart(parts[1]);
  if (parts.length !== 3 || !header || !claims) return { ok: false, error: 'invalid_grant', description: 'Invalid JWT: malformed' };
  if (header.alg !== 'RS256') return { ok: false, error: 'invalid_grant', description: `Invalid JWT: alg ${String(header.alg)}` };
  const key = typeof claims.iss === 'string' ? keys.get(claims.iss) : undefined;
  if (!key) return { ok: false, error: 'invalid_grant', description: 'Invalid grant: account not found' };
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!verify('RSA-SHA256', signed, key, Buffer.from(parts[2]!, 'base64url'))) {
    return { ok: false, error: 'invalid_grant', description: 'Invalid JWT Signature.' };
  }
  if (claims.aud !== tokenUrl) return { ok: false, error: 'invalid_grant', description: `Invalid JWT: aud must be ${tokenUrl}` };
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  if (!scopes.includes(CLOUD_PLATFORM)) return { ok: false, error: 'invalid_scope', description: 'the cloud-platform scope is required' };
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!Number.isFinite(iat) || !Number.isFinite(exp) || exp <= nowSec || iat > nowSec + 60 || exp - iat > 3600) {
    return { ok: false, error: 'invalid_grant', description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' };
  }
  return { ok: true, clientEmail: claims.iss as string };
}
