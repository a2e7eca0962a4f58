/**
 * Database rows ↔ domain types. The database refuses unknown statuses (CHECK constraint); the other string
 * unions (via, verdict, revokeCause, ownerKind, scopes) are trusted as written by this code.
 */
import type { ApiTokenRecord, TokenOwnerKind, TokenScope } from '../core/ports.ts';
import type {
  AccessRequest,
  Decision,
  RequesterKind,
  RequestContext,
  RequestStatus,
  ReviewStatus,
  RevokeCause,
  Verdict,
  Via,
} from '../domain/request.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { ApiToken as ApiTokenRow, Decision as DecisionRow, Request as RequestRow } from '../generated/prisma/client.ts';
import type { Narrowing } from '../domain/narrowing.ts';

/** The Request columns in model order; `SELECT ${REQUEST_COLUMNS}` returns a row `toAccessRequest` maps. */
export const REQUEST_COLUMNS = [
  'id',
  'requesterId',
  'requesterKind',
  'createdBy',
  'scopes',
  'workflow',
  'reason',
  'ticket',
  'ticketTitle',
  'durationSec',
  'status',
  'required',
  'riskScore',
  'riskSignals',
  'generation',
  'via',
  'notifyChannels',
  'autoApproved',
  'decidedBy',
  'createdAt',
  'decidedAt',
  'activatedAt',
  'expiresAt',
  'revokedAt',
  'revokeCause',
  'breakGlass',
  'escalationLevel',
  'nextActionAt',
  'policyVersion',
  'statusReason',
  'reviewStatus',
  'reviewedBy',
  'reviewedAt',
  'reviewComment',
  'reviewRemindedAt',
  'agentReasoning',
  'humanOnly',
  'narrowing',
  'context',
  'launch',
] as const satisfies ReadonlyArray<keyof RequestRow & keyof AccessRequest>;

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function toAccessRequest(row: RequestRow): AccessRequest {
  return {
    id: row.id,
    requesterId: row.requesterId,
    requesterKind: row.requesterKind as RequesterKind,
    createdBy: row.createdBy,
    scopes: row.scopes ?? [],
    workflow: row.workflow,
    reason: row.reason,
    ticket: row.ticket,
    ticketTitle: row.ticketTitle,
    durationSec: row.durationSec,
    status: row.status as RequestStatus,
    required: row.required,
    riskScore: row.riskScore,
    riskSignals: stringArray(row.riskSignals),
    generation: row.generation,
    via: row.via as Via,
    // A scalar list column is nullable in Prisma's SQL (no NOT NULL): read NULL as empty.
    notifyChannels: row.notifyChannels ?? [],
    autoApproved: row.autoApproved,
    decidedBy: row.decidedBy,
    createdAt: row.createdAt,
    decidedAt: row.decidedAt,
    activatedAt: row.activatedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    revokeCause: row.revokeCause as RevokeCause | null,
    breakGlass: row.breakGlass,
    escalationLevel: row.escalationLevel,
    nextActionAt: row.nextActionAt,
    policyVersion: row.policyVersion,
    statusReason: row.statusReason,
    reviewStatus: row.reviewStatus as ReviewStatus | null,
    reviewedBy: row.reviewedBy,
    reviewedAt: row.reviewedAt,
    reviewComment: row.reviewComment,
    reviewRemindedAt: row.reviewRemindedAt,
    agentReasoning: row.agentReasoning,
    humanOnly: row.humanOnly,
    narrowing: (row.narrowing as Narrowing | null) ?? null,
    context: (row.context as RequestContext | null) ?? null,
    launch: row.launch,
  };
}

/** Only the columns, whatever else the object carries. */
export function toRequestCreate(request: AccessRequest): Prisma.RequestCreateInput {
  const columns = Object.fromEntries(REQUEST_COLUMNS.map((column) => [column, request[column]]));
  // A JSON column takes Prisma's DbNull for SQL NULL, not a JS null.
  return { ...(columns as unknown as Prisma.RequestCreateInput), riskSignals: [...request.riskSignals], narrowing: request.narrowing ? (request.narrowing as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
    context: request.context ? (request.context as unknown as Prisma.InputJsonValue) : Prisma.DbNull,
  };
}

export function toDecision(row: DecisionRow): Decision {
  return {
    id: row.id,
    requestId: row.requestId,
    approverId: row.approverId,
    verdict: row.verdict as Verdict,
    comment: row.comment,
    via: row.via as Via,
    at: row.at,
  };
}

export function toApiTokenRecord(row: ApiTokenRow): ApiTokenRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    hash: row.hash,
    ownerId: row.ownerId,
    ownerKind: row.ownerKind as TokenOwnerKind,
    scopes: (row.scopes ?? []) as TokenScope[],
    label: row.label,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
  };
}
