/**
 * The one `Store` implementation: Prisma for everything typed, raw SQL for the audit reader (it must stream a
 * million events quickly, without Prisma's per-row cost). Identical on PostgreSQL and PGlite; only
 * `open-store.ts` knows which one it got.
 */
import type {
  ApiTokenRecord,
  AuditInput,
  AuditRecord,
  ChatMessageRecord,
  ConversationRefRecord,
  TeamsUser,
  PersonRecord,
  RequestFilter,
  StoreTx,
  GrantHandleRecord,
  JitCredentialLookup,
  JitCredentialRecord,
  ServiceAccountRecord,
  DevicePostureRecord,
  SessionRecordingRecord,
  StepUpChallengeRecord,
  TotpFactorRecord,
} from '../core/ports.ts';
import type { AccessRequest, Decision } from '../domain/request.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import * as devicePostures from './device-posture-store.ts';
import * as sessionRecordings from './session-recording-store.ts';
import * as mfa from './mfa-store.ts';
import { appendAuditIn, type AuditSource, readAuditPage, streamAuditPages } from './audit-store.ts';
import * as chatMessages from './chat-message-store.ts';
import type { Store } from './open-store.ts';
import { syncPeople } from './person-store.ts';
import * as grants from './grant-store.ts';
import * as jitCredentials from './jit-credential-store.ts';
import * as requests from './request-store.ts';
import * as serviceAccounts from './service-account-store.ts';
import * as teams from './teams-store.ts';
import type { SqlDriver } from './sql-driver.ts';
import * as tokens from './token-store.ts';
import { assertOutsideTransaction, type RunTransaction, type TransactionLimits, transactionRunner } from './transaction.ts';

export interface PrismaStoreParts {
  kind: Store['kind'];
  prisma: PrismaClient;
  /** One session for the migrator and advisory locks. */
  driver: SqlDriver;
  openSession: () => Promise<SqlDriver>;
  /** Where and how the audit reader runs its raw queries (a pool on PostgreSQL). */
  reader: AuditSource;
  limits: TransactionLimits;
  /** Releases what open-store created (pools, clients, the PGlite instance), after Prisma disconnected. */
  release: () => Promise<void>;
}

export class PrismaStore implements Store {
  readonly kind: Store['kind'];
  readonly driver: SqlDriver;
  readonly openSession: () => Promise<SqlDriver>;
  private readonly prisma: PrismaClient;
  private readonly reader: AuditSource;
  private readonly run: RunTransaction;
  private readonly release: () => Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(parts: PrismaStoreParts) {
    this.kind = parts.kind;
    this.driver = parts.driver;
    this.openSession = parts.openSession;
    this.prisma = parts.prisma;
    this.reader = parts.reader;
    this.release = parts.release;
    this.run = transactionRunner(this, parts.prisma, parts.limits);
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.run(async (tx) => {
      const storeTx = new requests.PrismaStoreTx(tx);
      const result = await work(storeTx);
      // The audit events go last: the chain lock is then always the transaction's last lock (invariant 4).
      await storeTx.flushAudit();
      return result;
    });
  }

  getRequest(id: string): Promise<AccessRequest | null> {
    return requests.getRequest(this.outside('getRequest'), id);
  }

  listRequests(filter: RequestFilter): Promise<AccessRequest[]> {
    return requests.listRequests(this.outside('listRequests'), filter);
  }

  listDecisions(requestId: string): Promise<Decision[]> {
    return requests.listDecisions(this.outside('listDecisions'), requestId);
  }

  async countRequestsByStatus(): Promise<Record<string, number>> {
    const rows = await this.outside('countRequestsByStatus').request.groupBy({ by: ['status'], _count: { _all: true } });
    return Object.fromEntries(rows.map((r) => [r.status, r._count._all]));
  }

  countAutoApprovals(requesterId: string, since: Date): Promise<number> {
    return requests.countAutoApprovals(this.outside('countAutoApprovals'), requesterId, since);
  }

  countDenials(requesterId: string, since: Date): Promise<number> {
    return requests.countDenials(this.outside('countDenials'), requesterId, since);
  }

  listOpenRequestsOf(requesterIds: string[]): Promise<AccessRequest[]> {
    return requests.listOpenRequestsOf(this.outside('listOpenRequestsOf'), requesterIds);
  }

  listGrantHandles(requestId: string): Promise<GrantHandleRecord[]> {
    return grants.listGrantHandles(this.outside('listGrantHandles'), requestId);
  }

  listPendingDueBetween(after: Date, before: Date, limit: number): Promise<AccessRequest[]> {
    return grants.listPendingDueBetween(this.outside('listPendingDueBetween'), after, before, limit);
  }

  listDueRequests(now: Date, limit: number): Promise<AccessRequest[]> {
    return grants.listDueRequests(this.outside('listDueRequests'), now, limit);
  }

  hasOtherActiveHolder(requesterId: string, resourceId: string, exceptRequestId: string): Promise<boolean> {
    return grants.hasOtherActiveHolder(this.outside('hasOtherActiveHolder'), requesterId, resourceId, exceptRequestId);
  }

  recordGrantError(requestId: string, resourceId: string, error: string): Promise<void> {
    return grants.recordGrantError(this.outside('recordGrantError'), requestId, resourceId, error);
  }

  listRecentlyEnded(since: Date, limit: number): Promise<AccessRequest[]> {
    return grants.listRecentlyEnded(this.outside('listRecentlyEnded'), since, limit);
  }

  listActiveExpiringBetween(after: Date, before: Date, limit: number): Promise<AccessRequest[]> {
    return grants.listActiveExpiringBetween(this.outside('listActiveExpiringBetween'), after, before, limit);
  }

  listReviewsDue(dueBefore: Date, limit: number): Promise<AccessRequest[]> {
    return requests.listReviewsDue(this.outside('listReviewsDue'), dueBefore, limit);
  }

  listGrantHandlesOf(requestIds: string[]): Promise<GrantHandleRecord[]> {
    return grants.listGrantHandlesOf(this.outside('listGrantHandlesOf'), requestIds);
  }

  claimRequest(id: string, owner: string, until: Date, now: Date): Promise<AccessRequest | null> {
    return grants.claimRequest(this.outside('claimRequest'), id, owner, until, now);
  }

  releaseRequest(id: string, owner: string): Promise<void> {
    return grants.releaseRequest(this.outside('releaseRequest'), id, owner);
  }

  syncPeople(people: PersonRecord[], serviceAccounts: Array<{ id: string; ownerId: string }>): Promise<string[]> {
    return syncPeople(this.run, people, serviceAccounts);
  }

  insertToken(token: ApiTokenRecord, audit: AuditInput): Promise<void> {
    return tokens.insertToken(this.run, token, audit);
  }

  findTokenByHash(hash: string): ReturnType<Store['findTokenByHash']> {
    return tokens.findTokenByHash(this.outside('findTokenByHash'), hash);
  }

  rotateToken(prefix: string, fresh: Pick<ApiTokenRecord, 'id' | 'prefix' | 'hash' | 'createdAt'>, audit: AuditInput): ReturnType<Store['rotateToken']> {
    return tokens.rotateToken(this.run, prefix, fresh, audit);
  }

  getDevicePosture(personId: string): Promise<DevicePostureRecord | null> {
    return devicePostures.getDevicePosture(this.outside('getDevicePosture'), personId);
  }

  saveDevicePosture(record: DevicePostureRecord, audit: AuditInput): Promise<void> {
    return devicePostures.saveDevicePosture(this.run, record, audit);
  }

  saveSessionRecording(recording: SessionRecordingRecord, audit: AuditInput): Promise<void> {
    return sessionRecordings.saveSessionRecording(this.run, recording, audit);
  }

  latestSessionRecording(requestId: string): Promise<SessionRecordingRecord | null> {
    return sessionRecordings.latestSessionRecording(this.outside('latestSessionRecording'), requestId);
  }

  sessionRecordedEvent(requestId: string, recordingId: string): Promise<AuditRecord | null> {
    return sessionRecordings.sessionRecordedEvent(this.outside('sessionRecordedEvent'), requestId, recordingId);
  }

  getTotpFactor(principalId: string): Promise<TotpFactorRecord | null> {
    return mfa.getTotpFactor(this.outside('getTotpFactor'), principalId);
  }

  startTotpFactor(principalId: string, sealedSecret: string, at: Date, audit: AuditInput): Promise<boolean> {
    return mfa.startTotpFactor(this.run, principalId, sealedSecret, at, audit);
  }

  useTotpStep(principalId: string, step: number, at: Date, audit: AuditInput | null): Promise<boolean> {
    return mfa.useTotpStep(this.run, principalId, step, at, audit);
  }

  recordTotpFailure(principalId: string, lockUntil: Date | null, audit: AuditInput): Promise<number> {
    return mfa.recordTotpFailure(this.run, principalId, lockUntil, audit);
  }

  deleteTotpFactor(principalId: string, audit: AuditInput): Promise<boolean> {
    return mfa.deleteTotpFactor(this.run, principalId, audit);
  }

  openStepUpChallenge(fresh: StepUpChallengeRecord, at: Date): Promise<StepUpChallengeRecord> {
    return mfa.openStepUpChallenge(this.outside('openStepUpChallenge'), fresh, at);
  }

  getStepUpChallenge(id: string): Promise<StepUpChallengeRecord | null> {
    return mfa.getStepUpChallenge(this.outside('getStepUpChallenge'), id);
  }

  confirmStepUpChallenge(id: string, authTime: Date, at: Date, audit: AuditInput): Promise<boolean> {
    return mfa.confirmStepUpChallenge(this.run, id, authTime, at, audit);
  }

  useStepUpChallenge(principalId: string, purpose: string, confirmedSince: Date, at: Date): Promise<StepUpChallengeRecord | null> {
    return mfa.useStepUpChallenge(this.outside('useStepUpChallenge'), principalId, purpose, confirmedSince, at);
  }

  getServiceAccount(id: string): Promise<ServiceAccountRecord | null> {
    return serviceAccounts.getServiceAccount(this.outside('getServiceAccount'), id);
  }

  listServiceAccounts(): Promise<ServiceAccountRecord[]> {
    return serviceAccounts.listServiceAccounts(this.outside('listServiceAccounts'));
  }

  setSuspension(id: string, ownerId: string, suspension: { at: Date; reason: string } | null, audit: AuditInput[]): Promise<ServiceAccountRecord> {
    return serviceAccounts.setSuspension(this.run, id, ownerId, suspension, audit);
  }

  revokeToken(prefix: string, audit: AuditInput): Promise<ApiTokenRecord | null> {
    return tokens.revokeToken(this.run, prefix, audit);
  }

  listTokens(ownerId?: string): Promise<ApiTokenRecord[]> {
    return tokens.listTokens(this.outside('listTokens'), ownerId);
  }

  saveChatMessage(message: ChatMessageRecord): Promise<void> {
    return chatMessages.saveChatMessage(this.outside('saveChatMessage'), message);
  }

  listChatMessages(requestId: string, platform: string): Promise<ChatMessageRecord[]> {
    return chatMessages.listChatMessages(this.outside('listChatMessages'), requestId, platform);
  }

  saveConversationRef(ref: ConversationRefRecord): Promise<void> {
    return teams.saveConversationRef(this.outside('saveConversationRef'), ref);
  }

  getConversationRef(conversationId: string): Promise<ConversationRefRecord | null> {
    return teams.getConversationRef(this.outside('getConversationRef'), conversationId);
  }

  findPersonalConversation(userAadObjectId: string): Promise<ConversationRefRecord | null> {
    return teams.findPersonalConversation(this.outside('findPersonalConversation'), userAadObjectId);
  }

  findAnyConversation(tenantId: string | null): Promise<ConversationRefRecord | null> {
    return teams.findAnyConversation(this.outside('findAnyConversation'), tenantId);
  }

  removeConversationRefs(where: { teamId: string } | { conversationId: string }): Promise<number> {
    return teams.removeConversationRefs(this.outside('removeConversationRefs'), where);
  }

  recordTeamsUser(personId: string, user: TeamsUser): Promise<void> {
    return teams.recordTeamsUser(this.run, personId, user);
  }

  teamsUsersOf(personIds: string[]): Promise<Map<string, TeamsUser>> {
    return teams.teamsUsersOf(this.outside('teamsUsersOf'), personIds);
  }

  readAudit(afterSeq: bigint, limit: number): Promise<AuditRecord[]> {
    assertOutsideTransaction(this, 'readAudit');
    return readAuditPage(this.reader, afterSeq, limit);
  }

  streamAudit(afterSeq = 0n, batch = 10_000): AsyncIterable<AuditRecord> {
    assertOutsideTransaction(this, 'streamAudit');
    return streamAuditPages(this.reader, afterSeq, batch);
  }

  /** An event that belongs to no request transition, in its own short transaction. */
  appendAudit(event: AuditInput): Promise<AuditRecord> {
    return this.run((tx) => appendAuditIn(tx, event));
  }

  async ping(): Promise<void> {
    await this.outside('ping').$queryRaw`SELECT 1`;
  }

  close(): Promise<void> {
    this.closing ??= this.prisma.$disconnect().finally(() => this.release());
    return this.closing;
  }

  // stint_jit_ credentials (the `token` provider and introspection, issue 10)
  addJitScope(input: { requestId: string; principalId: string; scope: string; expiresAt: Date; at: Date }): Promise<void> {
    return jitCredentials.addJitScope(this.outside('addJitScope'), input);
  }

  removeJitScope(requestId: string, scope: string, at: Date): Promise<void> {
    return jitCredentials.removeJitScope(this.outside('removeJitScope'), requestId, scope, at);
  }

  extendJitCredential(requestId: string, expiresAt: Date, at: Date): Promise<void> {
    return jitCredentials.extendJitCredential(this.outside('extendJitCredential'), requestId, expiresAt, at);
  }

  getJitCredential(requestId: string): Promise<JitCredentialRecord | null> {
    return jitCredentials.getJitCredential(this.outside('getJitCredential'), requestId);
  }

  rotateJitCredential(requestId: string, secret: { hash: string; prefix: string }, at: Date): Promise<boolean> {
    return jitCredentials.rotateJitCredential(this.outside('rotateJitCredential'), requestId, secret, at);
  }

  findJitCredentialByHash(hash: string): Promise<JitCredentialLookup | null> {
    assertOutsideTransaction(this, 'findJitCredentialByHash');
    return jitCredentials.findJitCredentialByHash(this.reader.sql, hash);
  }

  private outside(method: string): PrismaClient {
    assertOutsideTransaction(this, method);
    return this.prisma;
  }
}
