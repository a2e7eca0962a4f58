/**
 * A local fake of the two ServiceNow Table API calls Stint makes, enforcing their contract: `Authorization: Basic
 * base64(user:password)` (else 401), `GET /api/now/table/{table}` with exactly `sysparm_query=number=<key>`,
 * `sysparm_fields=sys_id,number,short_description,state`, `sysparm_display_value=true`, `sysparm_limit=1`
 * (`{ result: [] }` for an unknown number) and `PATCH /api/now/table/{table}/{sys_id}` with `{ work_notes }` only.
 * Anything else is 400. Work notes received are kept.
 */
import { startJsonFake, type Answer, type JsonFake, type RecordedCall } from '../oncall/fake-pager-server.ts';

export interface FakeServiceNow extends JsonFake {
  user: string;
  password: string;
  table: string;
  /** Records by number: short description and state (display value). */
  records: Map<string, { shortDescription: string; state: string }>;
  /** Work notes accepted, in order. */
  workNotes: Array<{ number: string; sysId: string; text: string }>;
}

const QUERY_KEYS = 'sysparm_query,sysparm_fields,sysparm_display_value,sysparm_limit';
const bad = (message: string): Answer => ({ status: 400, body: { error: { message, detail: null }, status: 'failure' } });
const sysIdOf = (number: string) => Buffer.from(number).toString('hex').padEnd(32, '0').slice(0, 32);

export async function startFakeServiceNow(options: { user?: string; password?: string; table?: string } = {}): Promise<FakeServiceNow> {
  const user = options.user ?? 'stint.integration';
  const password = options.password ?? 'sn-password-0123456789';
  const table = options.table ?? 'incident';
  const records = new Map<string, { shortDescription: string; state: string }>();
  const workNotes: FakeServiceNow['workNotes'] = [];
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const row = (number: string) => {
    const r = records.get(number)!;
    return { sys_id: sysIdOf(number), number, short_description: r.shortDescription, state: r.state };
  };

  const route = (call: RecordedCall): Answer => {
    if (call.headers.authorization !== auth) return { status: 401, body: { error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' }, status: 'failure' } };
    if (call.method === 'GET' && call.path === `/api/now/table/${table}`) {
      const q = call.query;
      if ([...q.keys()].sort().join(',') !== QUERY_KEYS.split(',').sort().join(',')) return bad(`expected exactly ${QUERY_KEYS}`);
      const number = /^number=([A-Za-z0-9_-]+)$/.exec(q.get('sysparm_query') ?? '')?.[1];
      if (!number || q.get('sysparm_fields') !== 'sys_id,number,short_description,state' || q.get('sysparm_display_value') !== 'true' || q.get('sysparm_limit') !== '1') {
        return bad('unexpected query shape');
      }
      return { status: 200, body: { result: records.has(number) ? [row(number)] : [] } };
    }
    const patch = new RegExp(`^/api/now/table/${table}/([0-9a-f]{32})$`).exec(call.path);
    if (call.method === 'PATCH' && patch) {
      if (call.headers['content-type'] !== 'application/json') return bad('Content-Type must be application/json');
      if (!call.body || typeof call.body.work_notes !== 'string' || Object.keys(call.body).length !== 1) return bad('expected { "work_notes": "…" }');
      const number = [...records.keys()].find((n) => sysIdOf(n) === patch[1]);
      if (!number) return { status: 404, body: { error: { message: 'No Record found', detail: 'Record doesn\'t exist or ACL restricts the record retrieval' }, status: 'failure' } };
      workNotes.push({ number, sysId: patch[1]!, text: call.body.work_notes });
      return { status: 200, body: { result: row(number) } };
    }
    return bad(`unexpected ${call.method} ${call.path}`);
  };
  const fake = await startJsonFake(route, () => {
    records.clear();
    workNotes.length = 0;
  });
  return Object.assign(fake, { user, password, table, records, workNotes });
}
