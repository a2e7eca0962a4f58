/**
 * A local fake of the two PagerDuty APIs Stint calls, enforcing their contracts: REST `GET /oncalls` (header
 * `Authorization: Token token=…` else 401, the v2 `Accept` header, `until` after `since`, `include[]=users` for
 * emails, limit/offset pagination) and Events API v2 `POST /v2/enqueue` (known routing key, `event_action`,
 * trigger payload `summary` ≤ 1024, `source`, `severity`, `dedup_key` ≤ 255 → 202; else 400 with PagerDuty's
 * `{status, message, errors}`). Open alerts are kept by dedup key like PagerDuty does. Serve both at `url`.
 */
import { startJsonFake, type Answer, type JsonFake, type RecordedCall } from '../oncall/fake-pager-server.ts';

export interface OnCallShift {
  email: string;
  /** ISO instants; absent = unbounded. */
  start?: string;
  end?: string;
  escalationLevel?: number;
}

export interface FakePagerDuty extends JsonFake {
  token: string;
  routingKey: string;
  /** Triggers accepted (202), in order. */
  events: any[];
  /** Alerts PagerDuty would hold: dedup key → number of triggers merged into it. */
  alerts: Map<string, number>;
  /** Who is on call in a schedule (replaces what was there). */
  setOnCall(scheduleId: string, shifts: OnCallShift[]): void;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];

const restError = (status: number, message: string, code: number, errors: string[] = []): Answer => ({ status, body: { error: { message, code, errors } } });
const invalidEvent = (errors: string[]): Answer => ({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } });

export async function startFakePagerDuty(options: { token?: string; routingKey?: string } = {}): Promise<FakePagerDuty> {
  const token = options.token ?? 'pd-rest-token-0123456789';
  const routingKey = options.routingKey ?? 'R0123456789ABCDEF0123456789ABCDE';
  const schedules = new Map<string, OnCallShift[]>();
  const events: any[] = [];
  const alerts = new Map<string, number>();

  function oncalls(call: RecordedCall): Answer {
    if (call.headers.authorization !== `Token token=${token}`) return restError(401, 'Authentication failed', 2006);
    if (call.headers.accept !== 'application/vnd.pagerduty+json;version=2') return restError(406, 'Not Acceptable: send Accept: application/vnd.pagerduty+json;version=2', 2001);
    const since = Date.parse(call.query.get('since') ?? '');
    const until = Date.parse(call.query.get('until') ?? '');
    if (Number.isNaN(since) || Number.isNaN(until) || until <= since) return restError(400, 'Invalid Input Provided', 2001, ['until must be a date after since']);
    const withUsers = call.query.getAll('include[]').includes('users');
    const limit = Number(call.query.get('limit') ?? 25);
    const offset = Number(call.query.get('offset') ?? 0);
    const all = call.query.getAll('schedule_ids[]').flatMap((id) =>
      (schedules.get(id) ?? [])
        .filter((s) => (!s.start || Date.parse(s.start) < until) && (!s.end || Date.parse(s.end) > since))
        .map((s, i) => ({
          escalation_policy: { id: 'PEP1', type: 'escalation_policy_reference' },
          escalation_level: s.escalationLevel ?? 1,
          schedule: { id, type: 'schedule_reference' },
          user: withUsers ? { id: `PU${i}`, type: 'user', summary: s.email, email: s.email } : { id: `PU${i}`, type: 'user_reference', summary: s.email },
          start: s.start ?? null,
          end: s.end ?? null,
        })),
    );
    const page = all.slice(offset, offset + limit);
    return { status: 200, body: { oncalls: page, limit, offset, more: offset + limit < all.length, total: null } };
  }

  function enqueue(call: RecordedCall): Answer {
    const e = call.body;
    if (!e || typeof e !== 'object') return invalidEvent(['the body must be a JSON object']);
    const errors: string[] = [];
    if (typeof e.routing_key !== 'string' || e.routing_key === '') errors.push("'routing_key' is missing or blank");
    else if (e.routing_key !== routingKey) errors.push('Invalid routing key');
    if (!ACTIONS.includes(e.event_action)) errors.push("'event_action' must be trigger, acknowledge or resolve");
    if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255)) errors.push("'dedup_key' must be a string of at most 255 characters");
    if (e.event_action === 'trigger') {
      const p = e.payload;
      if (!p || typeof p !== 'object') errors.push("'payload' is missing");
      else {
        if (typeof p.summary !== 'string' || p.summary === '') errors.push("'payload.summary' is missing or blank");
        else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
        if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing or blank");
        if (!SEVERITIES.includes(p.severity)) errors.push("'payload.severity' must be critical, error, warning or info");
        if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp))) errors.push("'payload.timestamp' is not an ISO 8601 date");
        if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || Array.isArray(p.custom_details))) errors.push("'payload.custom_details' must be an object");
      }
      if (e.links !== undefined && (!Array.isArray(e.links) || e.links.some((l: any) => typeof l?.href !== 'string'))) errors.push("'links' must be an array of {href, text}");
    } else if (typeof e.dedup_key !== 'string') errors.push("'dedup_key' is required to acknowledge or resolve");
    if (errors.length > 0) return invalidEvent(errors);
    const dedupKey: string = e.dedup_key ?? `fake-${events.length + 1}`;
    if (e.event_action === 'trigger') {
      events.push(e);
      alerts.set(dedupKey, (alerts.get(dedupKey) ?? 0) + 1);
    } else if (e.event_action === 'resolve') alerts.delete(dedupKey);
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }

  const route = (call: RecordedCall): Answer => {
    if (call.method === 'GET' && call.path === '/oncalls') return oncalls(call);
    if (call.method === 'POST' && call.path === '/v2/enqueue') return enqueue(call);
    return restError(404, 'Not Found', 2100);
  };
  const fake = await startJsonFake(route, () => {
    events.length = 0;
    alerts.clear();
    schedules.clear();
  });
  return Object.assign(fake, { token, routingKey, events, alerts, setOnCall: (id: string, shifts: OnCallShift[]) => void schedules.set(id, shifts) });
}
