/**
 * The `token` provider's credentials (JitCredential, one row per request; SHA-256 only, invariant 6). Each write
 * is one statement so concurrent grants of two scopes of one request cannot lose either. The introspection read
 * joins the request's status and the principal's suspension in one round trip on the raw pool: it is the hot
 * path of every resource server.
 */
import type { JitCredentialLookup, JitCredentialRecord } from '../core/ports.ts';
import type { RequestStatus } from '../domain/request.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { SqlQueryable } from './sql-driver.ts';

export async function addJitScope(db: PrismaClient, input: { requestId: string; principalId: string; scope: string; expiresAt: Date; at: Date }): Promise<void> {
  const at = input.at.toISOString();
  await db.$executeRaw`
    INSERT INTO "JitCredential" ("requestId", "principalId", "scopes", "expiresAt", "createdAt", "updatedAt")
    VALUES (${input.requestId}, ${input.principalId}, ARRAY[${input.scope}]::text[], ${input.expiresAt.toISOString()}::timestamptz, ${at}::timestamptz, ${at}::timestamptz)
    ON CONFLICT ("requestId") DO UPDATE SET
      "scopes" = CASE WHEN ${input.scope}::text = ANY("JitCredential"."scopes") THEN "JitCredential"."scopes"
                      ELSE array_append("JitCredential"."scopes", ${input.scope}::text) END,
      "principalId" = EXCLUDED."principalId",
      "expiresAt" = EXCLUDED."expiresAt",
      "revokedAt" = NULL,
      "updatedAt" = EXCLUDED."updatedAt"`;
}

export async function removeJitScope(db: PrismaClient, requestId: string, scope: string, at: Date): Promise<void> {
  await db.$executeRaw`
    UPDATE "JitCredential" SET
      "scopes" = array_remove("scopes", ${scope}::text),
      "revokedAt" = CASE WHEN cardinality(array_remove("scopes", ${scope}::text)) = 0 THEN COALESCE("revokedAt", ${at.toISOString()}::timestamptz) ELSE "revokedAt" END,
      "updatedAt" = ${at.toISOString()}::timestamptz
    WHERE "requestId" = ${requestId} AND ${scope}::text = ANY("scopes")`;
}

export async function extendJitCredential(db: PrismaClient, requestId: string, expiresAt: Date, at: Date): Promise<void> {
  await db.jitCredential.updateMany({ where: { requestId }, data: { expiresAt, updatedAt: at } });
}

export async function getJitCredential(db: PrismaClient, requestId: string): Promise<JitCredentialRecord | null> {
  const row = await db.jitCredential.findUnique({ where: { requestId } });
  if (!row) return null;
  const { principalId, hash, prefix, scopes, expiresAt, revokedAt, createdAt } = row;
  return { requestId, principalId, hash, prefix, scopes, expiresAt, revokedAt, createdAt };
}

export async function rotateJitCredential(db: PrismaClient, requestId: string, secret: { hash: string; prefix: string }, at: Date): Promise<boolean> {
  const { count } = await db.jitCredential.updateMany({ where: { requestId, revokedAt: null }, data: { hash: secret.hash, prefix: secret.prefix, updatedAt: at } });
  return count === 1;
}

// Times as epoch ms text and scopes as JSON text: no driver-specific parsing (pg and PGlite differ on int8 and arrays).
const LOOKUP_SQL = `
  SELECT c."requestId", c."principalId", array_to_json(c."scopes")::text AS "scopes_json",
         round(date_part('epoch', c."expiresAt") * 1000)::int8::text AS "expires_ms",
         round(date_part('epoch', c."revokedAt") * 1000)::int8::text AS "revoked_ms",
         round(date_part('epoch', c."createdAt") * 1000)::int8::text AS "created_ms",
         r."status", r."requesterId", r."reason", r."ticket", s."suspended"
    FROM "JitCredential" c
    LEFT JOIN "Request" r ON r."id" = c."requestId"
    LEFT JOIN "ServiceAccount" s ON s."id" = c."principalId"
   WHERE c."hash" = $1`;

interface LookupRow {
  requestId: string;
  principalId: string;
  scopes_json: string;
  expires_ms: string;
  revoked_ms: string | null;
  created_ms: string;
  status: string | null;
  requesterId: string | null;
  reason: string | null;
  ticket: string | null;
  suspended: boolean | null;
}

export async function findJitCredentialByHash(sql: SqlQueryable, hash: string): Promise<JitCredentialLookup | null> {
  const [row] = await sql.query<LookupRow>(LOOKUP_SQL, [hash]);
  if (!row) return null;
  return {
    requestId: row.requestId,
    principalId: row.principalId,
    scopes: JSON.parse(row.scopes_json) as string[],
    expiresAt: new Date(Number(row.expires_ms)),
    revokedAt: row.revoked_ms === null ? null : new Date(Number(row.revoked_ms)),
    createdAt: new Date(Number(row.created_ms)),
    requestStatus: row.status as RequestStatus | null,
    requestRequesterId: row.requesterId,
    requestReason: row.reason,
    requestTicket: row.ticket,
    serviceAccountSuspended: row.suspended,
  };
}
