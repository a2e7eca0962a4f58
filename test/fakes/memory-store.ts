/**
 * An in-memory RequestStore with the same semantics as the real one: transactions are serialised (as the
 * row lock + audit lock serialise them in PostgreSQL), roll back on throw, and audit events are chained.
 */
import type { AccessRequest, Decision } from '../../src/domain/request.ts';
import { GENESIS_HASH, hashEvent } from '../../src/audit/chain.ts';
import type { AuditInput, AuditRecord, ChatMessageRecord, GrantHandleRecord, RequestFilter, RequestStore, StoreTx } from '../../src/core/ports.ts';

interface State {
  requests: Map<string, AccessRequest>;
  decisions: Decision[];
  audit: AuditRecord[];
  grants: GrantHandleRecord[];
  /** Claimed `name|period` pairs. */
  runs: Set<string>;
}

const clone = (s: State): State => ({
  requests: new Map([...s.requests].map(([k, v]) => [k, { ...v }])),
  decisions: s.decisions.map((d) => ({ ...d })),
  audit: [...s.audit],
  grants: s.grants.map((g) => ({ ...g })),
  runs: new Set(s.runs),
});

export class MemoryStore implements RequestStore {
  state: State = { requests: new Map(), decisions: [], audit: [], grants: [], runs: new Set() };
  private queue: Promise<unknown> = Promise.resolve();

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    const run = async () => {
      const draft = clone(this.state);
      const pending: AuditInput[] = [];
      const releases: Array<[string, string]> = [];
      const claims = new Map<string, { owner: string; until: Date }>();
      const result = await work(this.tx(draft, pending, releases, claims));
      // Like the real store: the transaction's audit events are written last, in call order.
      for (const event of pending) appendTo(draft.audit, event);
      this.state = draft;
      // Leases live outside the cloned state: a release inside a transaction happens only when it commits.
      for (const [id, lease] of claims) this.leases.set(id, lease);
      for (const [id, owner] of releases) if (this.leases.get(id)?.owner === owner) this.leases.delete(id);
      return result;
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private tx(s: State, pendingAudit: AuditInput[], releases: Array<[string, string]>, claims: Map<string, { owner: string; until: Date }>): StoreTx {
    return {
      claimRequest: async (id, owner, until, now) => {
        const held = claims.get(id) ?? this.leases.get(id);
        const row = s.requests.get(id);
        if (!row || (held && held.owner !== owner && held.until >= now)) return null;
        claims.set(id, { owner, until });
        return { ...row };
      },
      releaseRequest: async (id, owner) => {
        releases.push([id, owner]);
      },
      lockRequest: async (id) => (s.requests.has(id) ? { ...s.requests.get(id)! } : null),
      insertRequest: async (r) => {
        if (s.requests.has(r.id)) throw new Error(`duplicate request ${r.id}`);
        s.requests.set(r.id, { ...r });
      },
      transition: async (id, from, to, patch = {}) => {
        const row = s.requests.get(id);
        if (!row || row.status !== from) return false;
        s.requests.set(id, { ...row, ...patch, status: to });
        return true;
      },
      insertDecision: async (d) => {
        if (s.decisions.some((x) => x.requestId === d.requestId && x.approverId === d.approverId)) return false;
        s.decisions.push({ ...d });
        return true;
      },
      listDecisions: async (requestId) => s.decisions.filter((d) => d.requestId === requestId),
      appendAudit: (e) => {
        pendingAudit.push(e);
      },
      claimPeriodicRun: async (name, period) => {
        const key = `${name}|${period}`;
        if (s.runs.has(key)) return false;
        s.runs.add(key);
        return true;
      },
      saveGrantHandle: async (h) => {
        s.grants = [...s.grants.filter((g) => !(g.requestId === h.requestId && g.resourceId === h.resourceId)), { ...h }];
      },
      acknowledgeReview: async (id, review) => {
        const row = s.requests.get(id);
        if (!row || row.reviewStatus !== 'PENDING') return false;
        s.requests.set(id, { ...row, ...review, reviewStatus: 'ACKNOWLEDGED' });
        return true;
      },
      markReviewReminded: async (id, at, dueBefore) => {
        const row = s.requests.get(id);
        if (!row || !reviewDue(row, dueBefore)) return false;
        s.requests.set(id, { ...row, reviewRemindedAt: at });
        return true;
      },
    };
  }

  async getRequest(id: string) {
    const r = this.state.requests.get(id);
    return r ? { ...r } : null;
  }
  async listRequests(f: RequestFilter) {
    return [...this.state.requests.values()]
      .filter((r) => (!f.statuses || f.statuses.includes(r.status)) && (!f.requesterId || r.requesterId === f.requesterId))
      .filter((r) => (!f.workflows || f.workflows.includes(r.workflow)) && (!f.beforeId || r.id < f.beforeId))
      .filter((r) => (!f.reviewStatus || r.reviewStatus === f.reviewStatus) && (!f.ids || f.ids.includes(r.id)))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, f.limit ?? 100);
  }
  async listDecisions(requestId: string) {
    return this.state.decisions.filter((d) => d.requestId === requestId);
  }
  async countAutoApprovals(requesterId: string, since: Date) {
    return [...this.state.requests.values()].filter((r) => r.requesterId === requesterId && r.autoApproved && r.createdAt >= since).length;
  }
  async countDenials(requesterId: string, since: Date) {
    return [...this.state.requests.values()].filter((r) => r.requesterId === requesterId && r.status === 'DENIED' && (r.decidedAt ?? r.createdAt) >= since).length;
  }
  async listGrantHandles(requestId: string) {
    return this.state.grants.filter((g) => g.requestId === requestId).map((g) => ({ ...g }));
  }
  async listDueRequests(now: Date, limit: number) {
    return [...this.state.requests.values()]
      .filter((r) => ['PENDING', 'APPROVED', 'ACTIVE', 'REVOKING'].includes(r.status) && r.nextActionAt !== null && r.nextActionAt <= now)
      .sort((a, b) => a.nextActionAt!.getTime() - b.nextActionAt!.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  async hasOtherActiveHolder(requesterId: string, resourceId: string, exceptRequestId: string) {
    return [...this.state.requests.values()].some(
      (r) => r.requesterId === requesterId && r.status === 'ACTIVE' && r.scopes.includes(resourceId) && r.id !== exceptRequestId,
    );
  }
  async recordGrantError(requestId: string, resourceId: string, error: string) {
    for (const g of this.state.grants) {
      if (g.requestId === requestId && g.resourceId === resourceId) {
        g.attempts += 1;
        g.lastError = error;
      }
    }
  }
  async listRecentlyEnded(since: Date, limit: number) {
    return [...this.state.requests.values()]
      .filter((r) => (r.status === 'REVOKED' && r.revokedAt! >= since) || (r.status === 'GRANT_FAILED' && r.decidedAt! >= since))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  async listReviewsDue(dueBefore: Date, limit: number) {
    return [...this.state.requests.values()]
      .filter((r) => reviewDue(r, dueBefore))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  async listGrantHandlesOf(requestIds: string[]) {
    return this.state.grants.filter((g) => requestIds.includes(g.requestId)).map((g) => ({ ...g }));
  }
  async listPendingDueBetween(after: Date, before: Date, limit: number) {
    return [...this.state.requests.values()]
      .filter((r) => r.status === 'PENDING' && r.nextActionAt !== null && r.nextActionAt > after && r.nextActionAt <= before)
      .sort((a, b) => a.nextActionAt!.getTime() - b.nextActionAt!.getTime())
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  async listActiveExpiringBetween(after: Date, before: Date, limit: number) {
    return [...this.state.requests.values()]
      .filter((r) => r.status === 'ACTIVE' && r.expiresAt !== null && r.expiresAt > after && r.expiresAt <= before)
      .sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime())
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  readonly leases = new Map<string, { owner: string; until: Date }>();
  async claimRequest(id: string, owner: string, until: Date, now: Date) {
    const held = this.leases.get(id);
    const request = this.state.requests.get(id);
    if (!request || (held && held.owner !== owner && held.until >= now)) return null;
    this.leases.set(id, { owner, until });
    return { ...request };
  }
  async releaseRequest(id: string, owner: string) {
    if (this.leases.get(id)?.owner === owner) this.leases.delete(id);
  }
  readonly chatMessages: ChatMessageRecord[] = [];
  async saveChatMessage(m: ChatMessageRecord) {
    if (!this.chatMessages.some((x) => x.platform === m.platform && x.channel === m.channel && x.messageId === m.messageId)) this.chatMessages.push({ ...m });
  }
  async listChatMessages(requestId: string, platform: string) {
    return this.chatMessages.filter((m) => m.requestId === requestId && m.platform === platform).map((m) => ({ ...m }));
  }
  async listOpenRequestsOf(ids: string[]) {
    return [...this.state.requests.values()].filter((r) => ids.includes(r.requesterId) && ['PENDING', 'APPROVED', 'ACTIVE'].includes(r.status));
  }
}

export function appendTo(chain: AuditRecord[], e: AuditInput): AuditRecord {
  const prev = chain[chain.length - 1];
  const fields = {
    seq: (prev?.seq ?? 0n) + 1n,
    at: new Date(e.at.getTime()),
    actor: e.actor,
    action: e.action,
    requestId: e.requestId ?? null,
    data: JSON.parse(JSON.stringify(e.data ?? {})) as Record<string, unknown>,
    prevHash: prev?.hash ?? GENESIS_HASH,
  };
  const record = { ...fields, hash: hashEvent(fields) };
  chain.push(record);
  return record;
}

function reviewDue(r: AccessRequest, dueBefore: Date): boolean {
  return r.reviewStatus === 'PENDING' && (r.reviewRemindedAt ?? r.createdAt) <= dueBefore;
}
