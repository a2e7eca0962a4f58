/**
 * The soak's load generator, in the bench process (a second process to Stint): an open loop that creates
 * requests at a fixed rate whatever the answers take, half as signed Slack slash commands (`/jit request …`,
 * answered by response_url) and half over REST with the requester's own token. It only picks person+resource
 * pairs with no open request (so every refusal is unexpected and counted as an error). From the rows the watch
 * reads each second (`observe`) it plays the people: an approver approves each request of a gated resource over
 * REST (5% denied), some ACTIVE grants are extended and some ended early (`done`), by Slack or REST like the
 * request. Every answer it did not intend — HTTP not 2xx, a Slack ack not 200 or slower than 3 s, a missing or
 * refusing response_url answer — is an error with a sample kept for the report. A decision, extension or done
 * answered 503 with Retry-After (Stint's database too busy: nothing recorded) is sent again after that long, as a
 * person clicking again would (counted in `busyRetries`; an error only if it still fails); a create is not, since a
 * create runs several steps and a retry could make a second request.
 */
import { signSlackRequest } from '../../src/slack/verify-signature.ts';
import type { SoakConfig } from './soak-config.ts';
import { SIGNING_SECRET, type SoakPerson, type SoakResource, type SoakStack } from './soak-stack.ts';

/** Slack wants the ack within 3 s. */
const ACK_BUDGET_MS = 3_000;
const HTTP_TIMEOUT_MS = 20_000;
const ANSWER_TIMEOUT_MS = 30_000;
/** A decision, extension or done refused with 503 + Retry-After is sent this many times in all. */
const BUSY_ATTEMPTS = 3;
/** A planned extend/done is skipped when less than this is left: the expiry may win the race, by design. */
const ACTION_GUARD_MS = 6_000;
const TERMINAL = new Set(['REVOKED', 'DENIED', 'CANCELLED', 'TIMED_OUT', 'GRANT_FAILED']);

export interface ObservedRow {
  id: string;
  status: string;
  requesterId: string;
  resource: string;
  ticket: string | null;
  activatedAt: Date | null;
  expiresAt: Date | null;
}

interface Tracked {
  tag: string;
  person: SoakPerson;
  resource: SoakResource;
  via: 'slack' | 'rest';
  durationSec: number;
  plan: 'none' | 'extend' | 'done';
  /** When in the grant's life the planned action happens (fraction of its duration). */
  at: number;
  deny: boolean;
  id?: string;
  decided: boolean;
  acted: boolean;
}

export interface GeneratorStats {
  created: number;
  createdSlack: number;
  createdRest: number;
  approved: number;
  denied: number;
  extended: number;
  done: number;
  skippedNoFreePair: number;
  skippedLateAction: number;
  busyRetries: number;
  finished: number;
  errors: number;
  errorsByKind: Record<string, number>;
  errorSamples: string[];
  slackAckMs: number[];
  slackAnswerMs: number[];
  restCreateMs: number[];
  restActionMs: number[];
}

export class LoadGenerator {
  readonly stats: GeneratorStats = {
    created: 0, createdSlack: 0, createdRest: 0, approved: 0, denied: 0, extended: 0, done: 0, skippedNoFreePair: 0,
    skippedLateAction: 0, busyRetries: 0, finished: 0, errors: 0, errorsByKind: {}, errorSamples: [], slackAckMs: [], slackAnswerMs: [], restCreateMs: [], restActionMs: [],
  };
  private readonly busy = new Set<string>();
  private readonly byTag = new Map<string, Tracked>();
  private readonly byId = new Map<string, Tracked>();
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sequence = 0;

  constructor(
    private readonly stack: SoakStack,
    private readonly config: SoakConfig,
  ) {}

  /** Starts creating `config.rate` requests a second (open loop, evenly spaced). */
  start(): void {
    const started = performance.now();
    let sent = 0;
    const tick = () => {
      const due = Math.floor(((performance.now() - started) / 1000) * this.config.rate);
      while (sent < due) {
        sent++;
        this.track(this.createOne());
      }
      this.timer = setTimeout(tick, Math.max(5, 1000 / this.config.rate / 2));
    };
    tick();
  }

  stopCreating(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Waits for every call in flight (and the Slack answers they wait for). */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Requests created and not yet seen ended. */
  get open(): number {
    return this.byTag.size;
  }

  /** The watch's rows of this second: learn ids, decide pending requests, act on ACTIVE grants, free ended pairs. */
  observe(rows: ObservedRow[], now: number): void {
    for (const row of rows) {
      const t = this.byId.get(row.id) ?? (row.ticket ? this.byTag.get(row.ticket) : undefined);
      if (!t) continue;
      if (!t.id) this.learnId(t, row.id);
      if (TERMINAL.has(row.status)) {
        this.finish(t, row.status);
        continue;
      }
      if (row.status === 'PENDING' && !t.decided) {
        t.decided = true;
        this.track(this.decide(t));
      }
      if (row.status === 'ACTIVE' && t.plan !== 'none' && !t.acted && row.activatedAt && row.expiresAt) {
        const dueAt = row.activatedAt.getTime() + t.at * t.durationSec * 1000;
        if (now < dueAt) continue;
        t.acted = true;
        if (row.expiresAt.getTime() - now < ACTION_GUARD_MS) this.stats.skippedLateAction++;
        else this.track(t.plan === 'extend' ? this.extend(t) : this.endEarly(t));
      }
    }
  }

  private learnId(t: Tracked, id: string): void {
    t.id = id;
    this.byId.set(id, t);
  }

  private finish(t: Tracked, status: string): void {
    this.byTag.delete(t.tag);
    if (t.id) this.byId.delete(t.id);
    this.busy.delete(pairKey(t.person, t.resource));
    this.stats.finished++;
    const expected = t.deny ? 'DENIED' : 'REVOKED';
    if (status !== expected) this.error('unexpected-end', `${t.id ?? t.tag} ended ${status}, expected ${expected}`);
  }

  private pick(): { person: SoakPerson; resource: SoakResource } | undefined {
    const gated = Math.random() < this.config.approvalShare;
    const resources = this.stack.resources.filter((r) => r.needsApproval === gated);
    for (let attempt = 0; attempt < 30; attempt++) {
      const person = this.stack.people[Math.floor(Math.random() * this.stack.people.length)]!;
      const resource = resources[Math.floor(Math.random() * resources.length)]!;
      if (!this.busy.has(pairKey(person, resource))) return { person, resource };
    }
    return undefined;
  }

  private async createOne(): Promise<void> {
    const picked = this.pick();
    if (!picked) {
      this.stats.skippedNoFreePair++;
      return;
    }
    const { person, resource } = picked;
    const { minGrantSec, maxGrantSec } = this.config;
    const roll = Math.random();
    const t: Tracked = {
      tag: `SOAK-${++this.sequence}`,
      person,
      resource,
      via: Math.random() < this.config.slackShare ? 'slack' : 'rest',
      durationSec: Math.round(minGrantSec + Math.random() * (maxGrantSec - minGrantSec)),
      plan: roll < this.config.extendShare ? 'extend' : roll < this.config.extendShare + this.config.doneShare ? 'done' : 'none',
      at: 0.3 + Math.random() * 0.4,
      deny: resource.needsApproval && Math.random() < this.config.denyShare,
      decided: false,
      acted: false,
    };
    this.busy.add(pairKey(person, resource));
    this.byTag.set(t.tag, t);
    this.stats.created++;
    const reason = `${t.tag} soak load`;
    const expected = resource.needsApproval ? 'PENDING' : 'APPROVED';
    if (t.via === 'slack') {
      this.stats.createdSlack++;
      const text = await this.slackCommand(person, `request ${resource.id} ${t.durationSec}s ${reason}`, `c${this.sequence}`);
      if (text === undefined) return;
      const id = /`(jit_[0-9A-Z]{26})`/.exec(text)?.[1];
      if (!id || !text.startsWith(expected === 'PENDING' ? 'Requested' : 'Approved')) return this.error('slack-refused', `${t.tag}: ${text.slice(0, 200)}`);
      if (!t.id) this.learnId(t, id);
      return;
    }
    this.stats.createdRest++;
    const body = await this.rest('create', person.token, '', { reason, scopes: [resource.id], duration: `${t.durationSec}s` }, 201, this.stats.restCreateMs);
    if (!body) return;
    if (body.status !== expected) return this.error('unexpected-status', `${t.tag} created ${String(body.status)}, expected ${expected}`);
    if (!t.id && typeof body.id === 'string') this.learnId(t, body.id);
  }

  private async decide(t: Tracked): Promise<void> {
    const token = this.stack.approverTokens[Math.floor(Math.random() * this.stack.approverTokens.length)]!;
    const body = await this.rest(t.deny ? 'deny' : 'approve', token, `/${t.id}/${t.deny ? 'deny' : 'approve'}`, { comment: 'soak decision' }, 200, this.stats.restActionMs);
    if (!body) return;
    if (t.deny) this.stats.denied++;
    else this.stats.approved++;
  }

  private async extend(t: Tracked): Promise<void> {
    const by = `${this.config.extendBySec}s`;
    // A requester extends an auto-approved grant on their own; a gated one is extended by an approver.
    if (t.resource.needsApproval) {
      const token = this.stack.approverTokens[0]!;
      if (await this.rest('extend', token, `/${t.id}/extend`, { duration: by }, 200, this.stats.restActionMs)) this.stats.extended++;
    } else if (t.via === 'slack') {
      const text = await this.slackCommand(t.person, `extend ${t.id} ${by}`, `e${t.tag}`);
      if (text === undefined) return;
      if (!text.startsWith('Extended')) return this.error('slack-refused', `extend ${t.id}: ${text.slice(0, 200)}`);
      this.stats.extended++;
    } else if (await this.rest('extend', t.person.token, `/${t.id}/extend`, { duration: by }, 200, this.stats.restActionMs)) this.stats.extended++;
  }

  private async endEarly(t: Tracked): Promise<void> {
    if (t.via === 'slack') {
      const text = await this.slackCommand(t.person, `done ${t.id}`, `d${t.tag}`);
      if (text === undefined) return;
      if (!text.startsWith('Done')) return this.error('slack-refused', `done ${t.id}: ${text.slice(0, 200)}`);
      this.stats.done++;
    } else if (await this.rest('done', t.person.token, `/${t.id}/done`, {}, 200, this.stats.restActionMs)) this.stats.done++;
  }

  /** A signed slash command; resolves with the response_url answer's text, or undefined after counting an error. */
  private async slackCommand(person: SoakPerson, text: string, answerId: string): Promise<string | undefined> {
    const form = new URLSearchParams({
      token: 'unused', team_id: 'T1', team_domain: 'soak', channel_id: 'C0SOAK', channel_name: 'soak', user_id: person.slackUserId,
      user_name: person.id, command: '/jit', text, api_app_id: 'A1', response_url: this.stack.slack.responseUrl(answerId), trigger_id: `t.${answerId}`,
    }).toString();
    const answer = this.stack.slack.answer(answerId, ANSWER_TIMEOUT_MS);
    answer.catch(() => undefined);
    const started = performance.now();
    try {
      const res = await fetch(`${this.stack.serveUrl}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SIGNING_SECRET, form, Math.floor(Date.now() / 1000)) },
        body: form,
        signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      const ms = performance.now() - started;
      this.stats.slackAckMs.push(ms);
      if (res.status !== 200) return void this.error('slack-ack-status', `${text.split(' ')[0]} ack HTTP ${res.status}`);
      if (ms > ACK_BUDGET_MS) this.error('slack-ack-slow', `${text.split(' ')[0]} acked after ${Math.round(ms)} ms`);
    } catch (err) {
      return void this.error('slack-ack-failed', `${text.split(' ')[0]}: ${(err as Error).message}`);
    }
    try {
      const reply = await answer;
      this.stats.slackAnswerMs.push(performance.now() - started);
      return reply;
    } catch (err) {
      return void this.error('slack-no-answer', (err as Error).message);
    }
  }

  /** One REST call with `token`; the parsed body when the status is `expected`, else undefined after counting an error. */
  private async rest(what: string, token: string, path: string, payload: unknown, expected: number, latencies: number[]): Promise<Record<string, unknown> | undefined> {
    const started = performance.now();
    try {
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${this.stack.serveUrl}/api/v1/credentials/jit${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
        });
        const text = await res.text();
        const retryAfter = Number(res.headers.get('retry-after'));
        if (res.status === 503 && retryAfter > 0 && what !== 'create' && attempt < BUSY_ATTEMPTS) {
          this.stats.busyRetries++;
          await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
          continue;
        }
        latencies.push(performance.now() - started);
        if (res.status !== expected) return void this.error(`rest-${what}-${res.status}`, `${what} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
        return JSON.parse(text) as Record<string, unknown>;
      }
    } catch (err) {
      return void this.error(`rest-${what}-failed`, `${what} ${path}: ${(err as Error).message}`);
    }
  }

  private error(kind: string, detail: string): void {
    this.stats.errors++;
    this.stats.errorsByKind[kind] = (this.stats.errorsByKind[kind] ?? 0) + 1;
    if (this.stats.errorSamples.length < 40) this.stats.errorSamples.push(`${new Date().toISOString()} ${kind}: ${detail}`);
  }

  private track(work: Promise<void>): void {
    const guarded = work.catch((err: unknown) => this.error('generator', String(err)));
    this.inflight.add(guarded);
    void guarded.finally(() => this.inflight.delete(guarded));
  }
}

function pairKey(person: SoakPerson, resource: SoakResource): string {
  return `${person.id}/${resource.id}`;
}
