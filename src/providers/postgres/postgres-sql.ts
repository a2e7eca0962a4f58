/**
 * SQL text helpers. Values travel as parameters; only what PostgreSQL cannot parameterise (identifiers,
 * `VALID UNTIL`, `PASSWORD`) is built here, always quoted.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** `"name"` with embedded quotes doubled; NUL is refused (PostgreSQL cannot store it). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error('invalid identifier');
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `'value'` with quotes doubled. The E'' form with backslashes doubled too, so the literal means the same
 * whatever `standard_conforming_strings` says.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('invalid literal');
  return `E'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** Deterministic from the request scope, so a second grant finds the same role (idempotence). */
export function shortGrantId(requestId: string, resourceId: string): string {
  return createHash('sha256').update(`${requestId}\0${resourceId}`).digest('hex').slice(0, 16);
}

/** Session-level lock key for one (role, grantee) pair: concurrent grants and revokes of it run one at a time. */
export function lockKey(role: string, grantee: string): string {
  return `stint:${role}:${grantee}`;
}

/**
 * A SCRAM-SHA-256 verifier (RFC 5802/7677, PostgreSQL's `rolpassword` format). `ALTER ROLE … PASSWORD` with a
 * verifier means the clear password never reaches the server, so `log_statement` cannot record it.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** 32 random bytes, base64url: ASCII only, so SASLprep leaves it unchanged. */
export function randomPassword(): string {
  return randomBytes(32).toString('base64url');
}
