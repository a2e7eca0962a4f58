/**
 * Pages on-call rotations that live in PagerDuty or Opsgenie when a request escalates to them or break-glass
 * is used (`oncall:<rotation>` in the step's or `breakGlass.notify` targets). Built-in rotations are not paged:
 * chat reaches them. One event per vendor and notification, keyed `stint-<requestId>-<kind>-<level>`, so a
 * repeated notification (a retried job, a second worker) joins the open alert instead of paging twice.
 * Failures are thrown for the fan-out notifier to log; messages never carry a token or key.
 */
import type { Logger } from 'pino';
import type { Clock, Notification, Notifier, PolicySource } from '../core/ports.ts';
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { Policy } from '../policy/index.ts';
import type { OpsgenieAlert, OpsgeniePriority } from './opsgenie.ts';
import type { PagerDutyEvent, PagerDutySeverity } from './pagerduty.ts';

export interface EventSender {
  trigger(event: PagerDutyEvent): Promise<void>;
}
export interface AlertSender {
  createAlert(alert: OpsgenieAlert): Promise<void>;
}

export interface PagerNotifierOptions {
  policy: PolicySource;
  /** Absent when PAGERDUTY_ROUTING_KEY is not set. */
  pagerduty?: EventSender;
  /** Absent when OPSGENIE_API_KEY is not set. */
  opsgenie?: AlertSender;
  /** STINT_PUBLIC_URL: pages link to the request only when it is set. */
  publicUrl?: string;
  logger?: Logger;
  /** @defaultValue the system clock */
  clock?: Clock;
  /** @defaultValue 'stint' (the event's `source`) */
  source?: string;
}

type Pageable = Extract<Notification, { kind: 'request.escalated' | 'breakglass.used' }>;

/** Dedup keys already sent by this process (PagerDuty and Opsgenie de-duplicate across processes too). */
const REMEMBERED_KEYS = 10_000;

export function dedupKeyOf(n: Pageable): string {
  return `stint-${n.request.id}-${n.kind}-${n.kind === 'request.escalated' ? n.level : 0}`;
}

function summaryOf(n: Pageable): string {
  const r = n.request;
  const scopes = r.scopes.join(', ');
  return n.kind === 'breakglass.used'
    ? `Stint: BREAK-GLASS access ${r.id} to ${scopes} by ${r.requesterId}`
    : `Stint: access request ${r.id} for ${scopes} waits for approval (escalation step ${n.level})`;
}

function detailsOf(r: AccessRequest, rotations: string[], link: string | undefined): Record<string, string> {
  return {
    request: r.id,
    requester: r.requesterId,
    scopes: r.scopes.join(', '),
    reason: r.reason,
    ...(r.ticket && { ticket: r.ticket }),
    risk: String(r.riskScore),
    rotations: rotations.join(', '),
    ...(link && { link }),
  };
}

/** The `oncall:` targets of `notify` that are PagerDuty and Opsgenie schedules (unknown names are skipped). */
function externalTargets(policy: Policy, notify: string[]): { pagerduty: string[]; opsgenie: Map<string, string> } {
  const pagerduty: string[] = [];
  const opsgenie = new Map<string, string>();
  for (const ref of notify) {
    if (!ref.startsWith('oncall:')) continue;
    const name = ref.slice('oncall:'.length);
    const rotation = Object.hasOwn(policy.oncall, name) ? policy.oncall[name] : undefined;
    if (rotation?.pagerduty) pagerduty.push(name);
    else if (rotation?.opsgenie) opsgenie.set(name, rotation.opsgenie.schedule);
  }
  return { pagerduty, opsgenie };
}

export class PagerNotifier implements Notifier {
  readonly #options: PagerNotifierOptions;
  readonly #sent = new Set<string>();

  constructor(options: PagerNotifierOptions) {
    this.#options = options;
  }

  async notify(notification: Notification): Promise<void> {
    if (notification.kind !== 'request.escalated' && notification.kind !== 'breakglass.used') return;
    const { pagerduty, opsgenie } = externalTargets(this.#options.policy.current(), notification.notify);
    const key = dedupKeyOf(notification);
    const jobs: Array<Promise<void>> = [];
    if (pagerduty.length > 0) jobs.push(this.#once(`pd:${key}`, () => this.#page(notification, key, pagerduty)));
    if (opsgenie.size > 0) jobs.push(this.#once(`og:${key}`, () => this.#alert(notification, key, [...opsgenie.keys()], [...opsgenie.values()])));
    const failed = (await Promise.allSettled(jobs)).flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length === 1) throw failed[0];
    if (failed.length > 1) throw new AggregateError(failed, `paging failed: ${failed.map((e) => (e instanceof Error ? e.message : String(e))).join(' | ')}`);
  }

  async #once(key: string, send: () => Promise<void>): Promise<void> {
    if (this.#sent.has(key)) return;
    this.#sent.add(key);
    try {
      await send();
    } catch (err) {
      this.#sent.delete(key); // not sent: a retry of the notification may page
      throw err;
    }
    if (this.#sent.size > REMEMBERED_KEYS) this.#sent.delete(this.#sent.values().next().value!);
  }

  #link(r: AccessRequest): string | undefined {
    const base = this.#options.publicUrl?.replace(/\/+$/, '');
    return base ? `${base}/api/v1/credentials/jit/${r.id}` : undefined;
  }

  async #page(n: Pageable, dedupKey: string, rotations: string[]): Promise<void> {
    const sender = this.#options.pagerduty;
    if (!sender) throw missing('PagerDuty', rotations, 'PAGERDUTY_ROUTING_KEY');
    const link = this.#link(n.request);
    const severity: PagerDutySeverity = n.kind === 'breakglass.used' ? 'critical' : 'error';
    await sender.trigger({
      dedupKey,
      summary: summaryOf(n),
      source: this.#options.source ?? 'stint',
      severity,
      timestamp: n.kind === 'breakglass.used' ? (n.request.decidedAt ?? n.request.createdAt) : (this.#options.clock?.now() ?? new Date()),
      component: n.request.scopes.join(', '),
      customDetails: detailsOf(n.request, rotations, link),
      ...(link && { links: [{ href: link, text: `Stint request ${n.request.id}` }] }),
    });
    this.#options.logger?.info({ requestId: n.request.id, kind: n.kind, rotations, dedupKey }, 'paged PagerDuty');
  }

  async #alert(n: Pageable, alias: string, rotations: string[], schedules: string[]): Promise<void> {
    const sender = this.#options.opsgenie;
    if (!sender) throw missing('Opsgenie', rotations, 'OPSGENIE_API_KEY');
    const link = this.#link(n.request);
    const priority: OpsgeniePriority = n.kind === 'breakglass.used' ? 'P1' : 'P3';
    const details = detailsOf(n.request, rotations, link);
    await sender.createAlert({
      message: summaryOf(n),
      alias,
      description: Object.entries(details).map(([k, v]) => `${k}: ${v}`).join('\n'),
      priority,
      schedules,
      details,
      source: this.#options.source ?? 'stint',
      tags: ['stint', n.kind === 'breakglass.used' ? 'break-glass' : 'escalation'],
    });
    this.#options.logger?.info({ requestId: n.request.id, kind: n.kind, rotations, alias }, 'alerted Opsgenie');
  }
}

function missing(vendor: string, rotations: string[], variable: string): StintError {
  return new StintError('CONFIG_INVALID', `On-call ${rotations.join(', ')} is in ${vendor}, but ${variable} is not set: nobody was paged there`, { variable });
}
