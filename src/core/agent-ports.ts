/**
 * Ports of agents and service accounts (issue 10): stint_jit_ credentials and introspection, service accounts'
 * suspension, and the guardrail check. Kept apart from ports.ts (which re-exports them) to keep each file one subject.
 */
import type { RequestStatus } from '../domain/request.ts';
import type { AuditInput } from './ports.ts';

/** The stint_jit_ credential of one request's `token` scopes, as stored: the SHA-256 of its value, never the value. */
export interface JitCredentialRecord {
  requestId: string;
  principalId: string;
  /** SHA-256 (hex) of the value last revealed; null until the requester reveals one. */
  hash: string | null;
  /** The start of the value last revealed, to name it in listings; not enough to use it. */
  prefix: string | null;
  scopes: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
}

/** What introspection needs, in one read: the credential, its request's status and its principal's suspension. */
export interface JitCredentialLookup {
  requestId: string;
  principalId: string;
  scopes: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  /** Null when the request row is gone. */
  requestStatus: RequestStatus | null;
  /** The request's requester, reason and ticket (what guardrails judge); null when the row is gone, ticket when none. */
  requestRequesterId: string | null;
  requestReason: string | null;
  requestTicket: string | null;
  /** ServiceAccount.suspended of the principal; null when it has no service-account row (a person). */
  serviceAccountSuspended: boolean | null;
}

/**
 * Where the `token` provider keeps its credentials (one row per request). Writes are single atomic statements, so
 * two scopes of one request granted at once both land, and a repeat changes nothing.
 */
export interface JitCredentialStore {
  /** Creates the request's credential or adds `scope` to it, with this expiry; a revoked one is live again. */
  addJitScope(input: { requestId: string; principalId: string; scope: string; expiresAt: Date; at: Date }): Promise<void>;
  /** Removes `scope`; when none is left the credential is revoked. Absent is fine. */
  removeJitScope(requestId: string, scope: string, at: Date): Promise<void>;
  /** Moves the expiry (nothing when the credential is absent). */
  extendJitCredential(requestId: string, expiresAt: Date, at: Date): Promise<void>;
  getJitCredential(requestId: string): Promise<JitCredentialRecord | null>;
  /** Replaces the stored hash (the earlier value stops working); false when the credential is absent or revoked. */
  rotateJitCredential(requestId: string, secret: { hash: string; prefix: string }, at: Date): Promise<boolean>;
  findJitCredentialByHash(hash: string): Promise<JitCredentialLookup | null>;
}

/** A service account's row: who owns it and whether a guardrail (or an admin) suspended it (issue 10). */
export interface ServiceAccountRecord {
  id: string;
  ownerId: string;
  suspended: boolean;
  suspendedAt: Date | null;
  suspendedReason: string | null;
}

export interface ServiceAccountStore {
  getServiceAccount(id: string): Promise<ServiceAccountRecord | null>;
  listServiceAccounts(): Promise<ServiceAccountRecord[]>;
  /**
   * Suspends (`suspension` given) or lifts the suspension (null) of an account, creating its row for `ownerId` when
   * the policy sync has not yet; `audit` events commit in the same transaction (invariant 4).
   */
  setSuspension(id: string, ownerId: string, suspension: { at: Date; reason: string } | null, audit: AuditInput[]): Promise<ServiceAccountRecord>;
}

/**
 * A guardrail evaluated on introspection (the policy's `guardrails`), asked only for live credentials of service
 * accounts; `true` means a guardrail tripped and the answer is `{ active: false }`.
 */
export type GuardrailCheck = (input: {
  serviceAccountId: string;
  requestId: string;
  /** The credential's request as the introspection read it (no second read per introspection). */
  request: { requesterId: string | null; reason: string; ticket: string | null };
  credentialScopes: string[];
  askedScope: string | null;
  resourceServerId: string;
}) => Promise<boolean>;

