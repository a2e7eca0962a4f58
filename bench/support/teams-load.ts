/**
 * Open-loop load in its own process (so it does not share the server's event loop): signed `adaptiveCard/action`
 * invokes (Action.Execute, as a Teams client sends on a button click) at a fixed RATE for SECONDS after one
 * unmeasured second at the same rate, whatever the answers take (a closed loop would hide queueing). Each latency
 * runs from the click's *scheduled* time, so a late send counts against the target, not for it. An error is a
 * non-200, a failed fetch, or a body that is not an Adaptive Card invoke response.
 * Usage: teams-load.ts <plan.json>; the plan is written by bench/teams.ts (see TeamsLoadPlan). Prints one JSON line.
 */
import { readFileSync } from 'node:fs';

export interface TeamsClick {
  kind: 'approve' | 'refresh';
  aadObjectId: string;
  requestId: string;
}

export interface TeamsLoadPlan {
  url: string;
  /** One channel token for the whole run, signed ahead of time (Teams reuses its tokens too). */
  token: string;
  serviceUrl: string;
  tenantId: string;
  botId: string;
  rate: number;
  seconds: number;
  /** (seconds + 1) × rate clicks; the first `rate` of them are the warm-up. */
  clicks: TeamsClick[];
}

export interface KindFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** Answered with a card, but the card says the click did not apply (⛔ or "already decided"). */
  notApplied: number;
}

export interface TeamsLoadResult {
  sent: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  /** How late the generator sent, worst case (ms past the scheduled time). */
  maxSendLagMs: number;
  byKind: Record<TeamsClick['kind'], KindFigures>;
  firstError?: string;
}

const VERBS = { approve: 'stint.approve', refresh: 'stint.refresh' } as const;

function invokeActivity(plan: TeamsLoadPlan, click: TeamsClick, n: number): Record<string, unknown> {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    id: `bench-inv-${process.pid}-${n}`,
    channelId: 'msteams',
    serviceUrl: plan.serviceUrl,
    timestamp: new Date().toISOString(),
    replyToId: 'bench-card',
    recipient: { id: plan.botId, name: 'Stint' },
    from: { id: `29:user-${click.aadObjectId}`, name: 'Approver', aadObjectId: click.aadObjectId },
    conversation: { id: `a:1personal-${click.aadObjectId}`, tenantId: plan.tenantId, conversationType: 'personal' },
    channelData: { tenant: { id: plan.tenantId } },
    value: { action: { type: 'Action.Execute', verb: VERBS[click.kind], data: { requestId: click.requestId } }, trigger: 'manual' },
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as TeamsLoadPlan;
  const total = (plan.seconds + 1) * plan.rate;
  if (plan.clicks.length < total) throw new Error(`plan has ${plan.clicks.length} clicks, needs ${total}`);
  const samples: Array<{ kind: TeamsClick['kind']; ms: number; ok: boolean; notApplied: boolean }> = [];
  let firstError: string | undefined;
  let maxSendLagMs = 0;

  const once = async (click: TeamsClick, n: number, due: number, measured: boolean): Promise<void> => {
    let ok = false;
    let notApplied = false;
    try {
      const res = await fetch(plan.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.token}` },
        body: JSON.stringify(invokeActivity(plan, click, n)),
      });
      const text = await res.text();
      const body = res.status === 200 ? (JSON.parse(text) as { statusCode?: number; type?: string; value?: { type?: string } }) : null;
      ok = body?.statusCode === 200 && body.type === 'application/vnd.microsoft.card.adaptive' && body.value?.type === 'AdaptiveCard';
      if (!ok) firstError ??= `HTTP ${res.status} ${text.slice(0, 300)}`;
      notApplied = ok && (text.includes('⛔') || text.includes('already decided'));
    } catch (err) {
      firstError ??= String(err);
    }
    if (measured) samples.push({ kind: click.kind, ms: performance.now() - due, ok, notApplied });
  };

  const pending: Promise<void>[] = [];
  const tick = 1000 / plan.rate;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * tick;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const measured = i >= plan.rate;
    if (measured) maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    pending.push(once(plan.clicks[i]!, i, due, measured));
  }
  await Promise.all(pending);

  const figures = (rows: typeof samples): KindFigures => {
    const ok = rows.filter((r) => r.ok).map((r) => r.ms).sort((a, b) => a - b);
    return { count: rows.length, p50: quantile(ok, 0.5), p99: quantile(ok, 0.99), max: ok.at(-1) ?? 0, errors: rows.length - ok.length, notApplied: rows.filter((r) => r.notApplied).length };
  };
  const all = figures(samples);
  const result: TeamsLoadResult = {
    sent: all.count,
    errors: all.errors,
    p50: all.p50,
    p99: all.p99,
    max: all.max,
    maxSendLagMs,
    byKind: { approve: figures(samples.filter((s) => s.kind === 'approve')), refresh: figures(samples.filter((s) => s.kind === 'refresh')) },
    ...(firstError !== undefined && { firstError }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
