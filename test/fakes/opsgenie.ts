/**
 * A local fake of the Opsgenie APIs Stint calls, enforcing their contracts: `Authorization: GenieKey …` (else
 * 401); `GET /v2/schedules/<name>/on-calls?scheduleIdentifierType=name&flat=true&date=…` answering
 * `data.onCallRecipients` (404 for an unknown schedule); `POST /v2/alerts` with `message` (1–130), `alias` ≤ 512,
 * `description` ≤ 15000, `priority` P1–P5, string `details`, `tags`, `responders` → 202 `{result, requestId}`,
 * else 422 with Opsgenie's `{message, errors}`. Open alerts are kept by alias, as Opsgenie de-duplicates them.
 */
import { startJsonFake, type Answer, type JsonFake, type RecordedCall } from '../oncall/fake-pager-server.ts';

export interface FakeOpsgenie extends JsonFake {
  apiKey: string;
  /** Alerts accepted (202), in order. */
  alerts: any[];
  /** Open alerts by alias → how many creates were de-duplicated into it. */
  openAliases: Map<string, number>;
  /** Who is on call in the schedule named `name`: fixed emails, or a function of the asked instant. */
  setOnCall(name: string, recipients: string[] | ((at: Date) => string[])): void;
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const meta = () => ({ took: 0.01, requestId: crypto.randomUUID() });
const refused = (status: number, message: string, errors?: Record<string, string>): Answer => ({ status, body: { message, ...(errors && { errors }), ...meta() } });

export async function startFakeOpsgenie(options: { apiKey?: string } = {}): Promise<FakeOpsgenie> {
  const apiKey = options.apiKey ?? 'og-key-0123456789abcdef';
  const schedules = new Map<string, (at: Date) => string[]>();
  const alerts: any[] = [];
  const openAliases = new Map<string, number>();

  function onCalls(call: RecordedCall, name: string): Answer {
    if (call.query.get('scheduleIdentifierType') !== 'name') return refused(404, `No schedule exists with id [${name}]`);
    const recipients = schedules.get(name);
    if (!recipients) return refused(404, `No schedule exists with name [${name}]`);
    const date = call.query.get('date');
    const at = date ? new Date(date) : new Date();
    if (Number.isNaN(at.getTime())) return refused(422, 'Date is not in the expected format yyyy-MM-ddTHH:mm:ssZ');
    const flat = call.query.get('flat') === 'true';
    const who = recipients(at);
    const data = { _parent: { id: `id-${name}`, name, enabled: true }, ...(flat ? { onCallRecipients: who } : { onCallParticipants: who.map((w) => ({ name: w, type: 'user' })) }) };
    return { status: 200, body: { data, ...meta() } };
  }

  function createAlert(call: RecordedCall): Answer {
    const a = call.body;
    const errors: Record<string, string> = {};
    if (!a || typeof a !== 'object') return refused(422, 'Request body is not processable. Please check the errors.', { body: 'must be a JSON object' });
    if (typeof a.message !== 'string' || a.message.trim() === '') errors.message = 'Message can not be empty.';
    else if (a.message.length > 130) errors.message = 'Message can not be longer than 130 characters.';
    if (a.alias !== undefined && (typeof a.alias !== 'string' || a.alias.length > 512)) errors.alias = 'Alias can not be longer than 512 characters.';
    if (a.description !== undefined && (typeof a.description !== 'string' || a.description.length > 15_000)) errors.description = 'Description can not be longer than 15000 characters.';
    if (a.priority !== undefined && !PRIORITIES.includes(a.priority)) errors.priority = 'Priority should be one of [P1, P2, P3, P4, P5]';
    if (a.details !== undefined && (typeof a.details !== 'object' || Object.values(a.details).some((v) => typeof v !== 'string'))) errors.details = 'Details must be a map of strings.';
    if (a.tags !== undefined && (!Array.isArray(a.tags) || a.tags.some((t: unknown) => typeof t !== 'string'))) errors.tags = 'Tags must be strings.';
    if (a.responders !== undefined && (!Array.isArray(a.responders) || a.responders.some((r: any) => !['team', 'user', 'escalation', 'schedule'].includes(r?.type) || (!r.name && !r.id)))) {
      errors.responders = 'Responders must be {type: team|user|escalation|schedule, name|id}.';
    }
    if (Object.keys(errors).length > 0) return refused(422, 'Request body is not processable. Please check the errors.', errors);
    alerts.push(a);
    const alias: string = a.alias ?? a.message;
    openAliases.set(alias, (openAliases.get(alias) ?? 0) + 1);
    return { status: 202, body: { result: 'Request will be processed', ...meta() } };
  }

  const route = (call: RecordedCall): Answer => {
    if (call.headers.authorization !== `GenieKey ${apiKey}`) return refused(401, 'Could not authenticate');
    const onCall = /^\/v2\/schedules\/([^/]+)\/on-calls$/.exec(call.path);
    if (call.method === 'GET' && onCall) return onCalls(call, decodeURIComponent(onCall[1]!));
    if (call.method === 'POST' && call.path === '/v2/alerts') return createAlert(call);
    return refused(404, 'Not found');
  };
  const fake = await startJsonFake(route, () => {
    alerts.length = 0;
    openAliases.clear();
    schedules.clear();
  });
  return Object.assign(fake, {
    apiKey,
    alerts,
    openAliases,
    setOnCall: (name: string, recipients: string[] | ((at: Date) => string[])) => void schedules.set(name, typeof recipients === 'function' ? recipients : () => recipients),
  });
}
