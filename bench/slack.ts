/**
 * Slack bench (issue 5; DESIGN.md section 12 `slack`): signed slash commands at a fixed rate (100/s for 30 s,
 * from a second process on loopback) against Stint and against a hello-world Bolt app that acks at once, in
 * the same run. Stint's commands are real `/jit request`s (a request row, its audit and the answer by
 * response_url after the ack); `/jit help` measures the bare ack path. Then click → `chat.update` of the card:
 * 30 approvals by button, each timed from the click to the fake Slack API seeing the updated card. Stint runs
 * from dist/ on PostgreSQL.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from '../src/jobs/redis.ts';
import { signSlackRequest } from '../src/slack/verify-signature.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../test/fakes/slack-api.ts';
import { SIGNING_SECRET, SLACK_POLICY_YAML } from '../test/support/slack-harness.ts';

export const name = 'slack';

const ROOT = resolve(import.meta.dirname, '..');
const run_ = promisify(execFile);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_SLACK_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);

interface LoadResult {
  sent: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

function startChild(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      const line = d.toString().split('\n').find((l) => l.startsWith('ready'));
      if (line) done({ child, line });
    });
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

/** Asynchronous on purpose: the fake Slack API lives in this process and must keep answering meanwhile. */
async function load(url: string, text: string, responseBase: string): Promise<LoadResult> {
  const { stdout } = await run_(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/support/signed-load.ts'), url, SIGNING_SECRET, text, String(RATE), String(SECONDS)], {
    cwd: ROOT,
    env: { ...process.env, RESPONSE_BASE: responseBase },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
}

/** Signed POST of one form body to Stint's Slack endpoint. */
async function signedPost(url: string, form: Record<string, string>): Promise<void> {
  const body = new URLSearchParams(form).toString();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000)) }, body });
  await res.arrayBuffer();
}

/**
 * Click → card: 30 requests, one at a time, each approved once by button (carol); the time from the click's
 * POST to the fake Slack API recording the `chat.update` of the channel copy that shows 1/2. Each click comes
 * 1.1 s after its card: Stint paces each channel at Slack's 1 message/s, and this measures Stint, not that.
 */
async function clickToUpdate(url: string, slack: FakeSlackApi): Promise<{ p50: number; p99: number; count: number }> {
  const latencies: number[] = [];
  // One request at a time, so no card of another request is queued ahead in the channel's pacing lane.
  for (let i = 0; i < 30; i++) {
    const responseId = `click${i}`;
    await signedPost(url, { command: '/jit', text: `request prod-orders-db 1h INC-${i} click bench`, user_id: 'U0ALICE', team_id: 'T1', channel_id: 'C0GENERAL', response_url: slack.responseUrl(responseId), trigger_id: `tc.${i}` });
    const answer = await slack.waitForResponse((b) => slack.responses.some((r) => r.id === responseId && r.body === b), 30_000);
    const id = /`(jit_[0-9A-Z]{26})`/.exec(String(answer.text))![1]!;
    await slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0DBACCESS' && JSON.stringify(c.args.blocks ?? []).includes(id), 30_000);
    await new Promise((r) => setTimeout(r, 1_100)); // past the channel's 1 message/s pacing
    const started = Date.now();
    const payload = {
      type: 'block_actions',
      user: { id: 'U0CAROL', team_id: 'T1' },
      team: { id: 'T1' },
      api_app_id: 'A1',
      trigger_id: `tb.${i}`,
      container: { type: 'message', channel_id: 'C0DBACCESS', message_ts: '1.1' },
      channel: { id: 'C0DBACCESS' },
      actions: [{ type: 'button', action_id: 'stint_approve', block_id: 'b', value: id, action_ts: `${Date.now() / 1000}` }],
      response_url: slack.responseUrl(`cb${i}`),
    };
    await signedPost(url, { payload: JSON.stringify(payload) });
    const update = await slack.waitFor('chat.update', (u) => u.args.channel === 'C0DBACCESS' && u.at >= started && JSON.stringify(u.args.blocks ?? []).includes(id) && JSON.stringify(u.args.blocks).includes('1/2'), 30_000);
    latencies.push(update.at - started);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), count: latencies.length };
}

export async function run(): Promise<Record<string, number>> {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const db = `stint_bench_slack_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${db}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${db}`;
  const dir = mkdtempSync(join(tmpdir(), 'stint-bench-slack-'));
  writeFileSync(join(dir, 'stint.yaml'), SLACK_POLICY_YAML);
  const slack = await startFakeSlackApi({ users: ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE'].map((id) => ({ id, email: `${id.slice(2).toLowerCase()}@example.com` })), channels: ['C0DBACCESS'] });
  const children: ChildProcess[] = [];
  try {
    const boltPort = await freePort();
    const bolt = await startChild([join(ROOT, 'bench/support/bolt-hello.mjs')], { PORT: String(boltPort), SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, SLACK_BOT_TOKEN: slack.token });
    children.push(bolt.child);
    const stint = await startChild([join(ROOT, 'bench/support/slack-server.mjs')], {
      DATABASE_URL: dbUrl.toString(),
      PORT: String(await freePort()),
      STINT_POLICY: join(dir, 'stint.yaml'),
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      LOG_LEVEL: 'warn',
    });
    children.push(stint.child);
    const stintUrl = `${stint.line.split(' ')[1]!.replace('[::1]', '127.0.0.1')}/slack/events`;
    const responseBase = `${slack.url}/`;

    // Clicks first, on a quiet server: after the load phase its backlog of answers would be measured instead.
    const clicks = await clickToUpdate(stintUrl, slack);
    const baseline = await load(`http://127.0.0.1:${boltPort}/slack/events`, 'help', responseBase);
    const help = await load(stintUrl, 'help', responseBase);
    const requests = await load(stintUrl, 'request dev-api 30m bench load', responseBase);
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      ratePerSec: RATE,
      seconds: SECONDS,
      ackP50Ms: round(requests.p50),
      ackP99Ms: round(requests.p99),
      ackMaxMs: round(requests.max),
      ackErrors: requests.errors,
      helpAckP50Ms: round(help.p50),
      helpAckP99Ms: round(help.p99),
      boltAckP50Ms: round(baseline.p50),
      boltAckP99Ms: round(baseline.p99),
      ackRatioToBolt: round(requests.p99 / baseline.p99),
      helpAckRatioToBolt: round(help.p99 / baseline.p99),
      answeredByResponseUrl: slack.responses.length,
      clickToUpdateP50Ms: round(clicks.p50),
      clickToUpdateP99Ms: round(clicks.p99),
      clicks: clicks.count,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await slack.close();
    await new Promise((r) => setTimeout(r, 500));
    await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await admin.end();
  }
}
