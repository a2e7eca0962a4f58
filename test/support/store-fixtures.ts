/** Valid domain objects for store tests; override only the fields a test is about. */
import { monotonicFactory } from 'ulid';
import type { ApiTokenRecord, AuditInput, PersonRecord } from '../../src/core/ports.ts';
import type { AccessRequest, Decision } from '../../src/domain/request.ts';

const nextUlid = monotonicFactory();

/** A millisecond-precise instant (what the database keeps). */
export function at(iso: string): Date {
  return new Date(iso);
}

export function makeRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: `jit_${nextUlid()}`,
    requesterId: 'alice',
    requesterKind: 'person',
    createdBy: 'alice',
    scopes: ['prod-orders-db'],
    workflow: 'default',
    reason: 'INC-1234 stuck orders',
    ticket: 'INC-1234',
    ticketTitle: null,
    durationSec: 7200,
    status: 'PENDING',
    required: 1,
    riskScore: 10,
    riskSignals: ['off_hours'],
    generation: 0,
    via: 'slack',
    notifyChannels: ['C123'],
    autoApproved: false,
    decidedBy: null,
    createdAt: at('2026-11-23T10:00:00.123Z'),
    decidedAt: null,
    activatedAt: null,
    expiresAt: null,
    revokedAt: null,
    revokeCause: null,
    breakGlass: false,
    escalationLevel: 0,
    nextActionAt: at('2026-11-23T10:30:00.456Z'),
    policyVersion: 'v1',
    statusReason: null,
    reviewStatus: null,
    reviewedBy: null,
    reviewedAt: null,
    reviewComment: null,
    reviewRemindedAt: null,
    agentReasoning: null,
    humanOnly: false,
    narrowing: null,
    context: null,
    launch: false,
    ...overrides,
  };
}

export function makeDecision(requestId: string, overrides: Partial<Decision> = {}): Decision {
  return {
    id: `dec_${nextUlid()}`,
    requestId,
    approverId: 'bob',
    verdict: 'approve',
    comment: null,
    via: 'slack',
    at: at('2026-11-23T10:05:00.789Z'),
    ...overrides,
  };
}

export function makeAudit(overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    actor: 'alice',
    action: 'request.created',
    requestId: null,
    data: { reason: 'INC-1234' },
    at: at('2026-11-23T10:00:00.123Z'),
    ...overrides,
  };
}

export function makePerson(id: string, overrides: Partial<PersonRecord> = {}): PersonRecord {
  return {
    id,
    email: `${id}@example.com`,
    displayName: id,
    slackUserId: null,
    teamsAadObjectId: null,
    disabled: false,
    ...overrides,
  };
}

export function makeToken(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  const id = nextUlid();
  return {
    id: `tok_${id}`,
    prefix: `stint_${id.slice(-8).toLowerCase()}`,
    hash: `${id}`.padEnd(64, '0'),
    ownerId: 'svc-deploy',
    ownerKind: 'service',
    scopes: ['request', 'introspect'],
    label: 'deploy bot',
    createdAt: at('2026-11-23T09:00:00.001Z'),
    expiresAt: null,
    revokedAt: null,
    ...overrides,
  };
}
