/**
 * Teams bench (issue 6; DESIGN.md section 12 `teams`): Adaptive Card button clicks (`adaptiveCard/action` invokes,
 * Action.Execute) at a fixed rate (50/s for 30 s, open loop, from a second process on loopback), each timed from
 * its scheduled send to the invoke response, against Stint and against an echo bot on the same adapter (CloudAdapter
 * + ConfigurationBotFrameworkAuthentication, same JWT validation against the same fake OpenID metadata), one after
 * the other in the same run. Stint's clicks are 4 in 5 real Approve clicks, each on its own pending request that
 * needs 2 approvals (a decision row and its audit: a real state change), and 1 in 5 `stint.refresh` (never changes
 * state). The requests are created beforehand by `@Stint request` messages. Stint runs from dist/ on PostgreSQL,
 * like the Slack bench; the fake Bot Connector (tokens, OpenID metadata, JWKS, replies) lives in this process.
 * No approver has a personal chat or channel copy of the cards, so the notifier's after-answer work is reads only.
 * `otherCpuPctDuring*` says how much of the shared cores something else took meanwhile (support/teams-cpu.ts).
 * Diagnosis, not for the committed figures: BENCH_TEAMS_PROFILE=1 prints where Stint's time goes
 * (support/teams-profile.mjs); BENCH_TEAMS_CPU_PROF=<dir> writes a V8 CPU profile of Stint.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { withBuild } from './support/built.ts';
import { freePort } from '../src/jobs/redis.ts';
import { startFakeBotConnector, type FakeBotConnector } from '../test/fakes/bot-connector.ts';
import { ALICE_AAD, APP_ID, APP_PASSWORD, TEAM_CHANNEL, TEAM_ID, TENANT_ID } from '../test/support/teams-harness.ts';
import { cpuSnapshot, otherCpuPercent } from './support/teams-cpu.ts';
import type { TeamsClick, TeamsLoadPlan, TeamsLoadResult } from './support/teams-load.ts';

export const name = 'teams';

const ROOT = resolve(import.meta.dirname, '..');
const run_ = promisify(execFile);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_TEAMS_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
/** One click in REFRESH_EVERY is a refresh; the others approve. */
const REFRESH_EVERY = 5;
const APPROVERS = 20;
const BOT_ID = `28:${APP_ID}`;

const approverAad = (i: number) => `ab000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** alice (sre) asks; twenty dbas with their Teams ids in the policy approve; every request needs two of them. */
const POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre], accounts: { postgres: alice } }
${Array.from({ length: APPROVERS }, (_, i) => `  - { id: dba${i}, email: dba${i}@example.com, teams: ${approverAad(i)}, groups: [dba] }`).join('\n')}
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw }
    maxDuration: 4h
    workflow: two-dba
workflows:
  two-dba:
    eligible: [group:sre]
    approvers: [group:dba]
    required: 2
`;

function startChild(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      const line = d.toString().split('\n').find((l) => l.startsWith('ready'));
      if (line) done({ child, url: line.split(' ')[1]!.replace('[::1]', '127.0.0.1') });
    });
    child.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

async function postActivity(url: string, token: string, activity: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ channelId: 'msteams', timestamp: new Date().toISOString(), recipient: { id: BOT_ID, name: 'Stint' }, ...activity }),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * `@Stint request …` from alice in the team's channel thread (not her personal chat: Stint would then post her a
 * requester card per request, paced at 2/s, still draining during the measured phase). Returns the request ids.
 */
async function createRequests(url: string, connector: FakeBotConnector, count: number): Promise<string[]> {
  const token = connector.channelToken();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const sent = await postActivity(url, token, {
        type: 'message',
        id: `bench-msg-${n}`,
        serviceUrl: connector.url,
        from: { id: `29:user-${ALICE_AAD}`, name: 'alice', aadObjectId: ALICE_AAD },
        conversation: { id: `${TEAM_CHANNEL};messageid=1`, tenantId: TENANT_ID, conversationType: 'channel', isGroup: true },
        text: `<at>Stint</at> request prod-orders-db 1h INC-${n} bench click ${n}`,
        textFormat: 'plain',
        channelData: { tenant: { id: TENANT_ID }, team: { id: TEAM_ID }, channel: { id: TEAM_CHANNEL } },
      });
      if (sent.status !== 200) throw new Error(`request message ${n}: HTTP ${sent.status} ${sent.text}`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const ids = new Set<string>();
  for (const call of connector.calls) for (const m of String(call.body.text ?? '').matchAll(/jit_[0-9A-Z]{26}/g)) ids.add(m[0]);
  if (ids.size !== count) throw new Error(`expected ${count} requests, the replies name ${ids.size}: ${JSON.stringify(connector.calls.at(-1)?.body.text)}`);
  return [...ids];
}

/** Every click of the run, warm-up second first: approvals take the pending requests in turn, each by its own dba. */
function clickPlan(requestIds: string[]): TeamsClick[] {
  const total = (SECONDS + 1) * RATE;
  const clicks: TeamsClick[] = [];
  let approvals = 0;
  for (let i = 0; i < total; i++) {
    const approver = approverAad(i % APPROVERS);
    if (i % REFRESH_EVERY === REFRESH_EVERY - 1) clicks.push({ kind: 'refresh', aadObjectId: approver, requestId: requestIds[(i * 7919) % requestIds.length]! });
    else clicks.push({ kind: 'approve', aadObjectId: approver, requestId: requestIds[approvals++]! });
  }
  return clicks;
}

const neededApprovals = () => (SECONDS + 1) * RATE - Math.floor(((SECONDS + 1) * RATE) / REFRESH_EVERY);

/** Unmeasured: each approver clicks refresh once (botbuilder fetches the OpenID metadata; Stint records each Teams id). */
async function warmUp(url: string, connector: FakeBotConnector, requestId: string): Promise<void> {
  const token = connector.channelToken();
  for (let i = 0; i < APPROVERS; i++) {
    const aad = approverAad(i);
    const sent = await postActivity(url, token, {
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: `bench-warm-${i}`,
      serviceUrl: connector.url,
      replyToId: 'bench-card',
      from: { id: `29:user-${aad}`, name: 'Approver', aadObjectId: aad },
      conversation: { id: `a:1personal-${aad}`, tenantId: TENANT_ID, conversationType: 'personal' },
      channelData: { tenant: { id: TENANT_ID } },
      value: { action: { type: 'Action.Execute', verb: 'stint.refresh', data: { requestId } }, trigger: 'manual' },
    });
    if (sent.status !== 200 || !sent.text.includes('AdaptiveCard')) throw new Error(`warm-up invoke: HTTP ${sent.status} ${sent.text}`);
  }
}

/** Asynchronous on purpose: the fake Bot Connector lives in this process and must keep answering meanwhile. */
async function load(dir: string, label: string, url: string, connector: FakeBotConnector, clicks: TeamsClick[]): Promise<TeamsLoadResult> {
  const plan: TeamsLoadPlan = { url, token: connector.channelToken({ expiresInS: 3600 }), serviceUrl: connector.url, tenantId: TENANT_ID, botId: BOT_ID, rate: RATE, seconds: SECONDS, clicks };
  const file = join(dir, `${label}-plan.json`);
  writeFileSync(file, JSON.stringify(plan));
  const { stdout } = await run_(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/support/teams-load.ts'), file], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as TeamsLoadResult;
  process.stdout.write(`bench teams: ${label} ${JSON.stringify(result)}\n`);
  return result;
}

export function run(): Promise<Record<string, number>> {
  return withBuild(measure);
}

async function measure(): Promise<Record<string, number>> {
  const db = `stint_bench_teams_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${db}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${db}`;
  const dir = mkdtempSync(join(tmpdir(), 'stint-bench-teams-'));
  writeFileSync(join(dir, 'stint.yaml'), POLICY_YAML);
  const connector = await startFakeBotConnector({ appId: APP_ID, appPassword: APP_PASSWORD });
  const teamsEnv = {
    TEAMS_APP_ID: APP_ID,
    TEAMS_APP_PASSWORD: APP_PASSWORD,
    TEAMS_TENANT_ID: TENANT_ID,
    TEAMS_OPENID_METADATA_URL: connector.openIdMetadataUrl,
    TEAMS_TOKEN_ISSUER: connector.issuer,
    TEAMS_LOGIN_URL: connector.loginUrl,
  };
  const children: ChildProcess[] = [];
  try {
    const requestCount = neededApprovals() + 50;
    // Placeholder ids for the echo bot, which never reads them: the same activity shapes and mix as Stint's.
    const echoClicks = clickPlan(Array.from({ length: requestCount }, (_, i) => `jit_${String(i).padStart(26, '0')}`));

    // The baseline first, alone on the machine; it is stopped before Stint is loaded.
    const echo = await startChild([join(ROOT, 'bench/support/teams-echo.mjs')], { ...teamsEnv, PORT: String(await freePort()) });
    children.push(echo.child);
    const echoUrl = `${echo.url}/api/messages`;
    await warmUp(echoUrl, connector, echoClicks[0]!.requestId);
    const echoBefore = cpuSnapshot([echo.child.pid!]);
    const baseline = await load(dir, 'echo', echoUrl, connector, echoClicks);
    const echoOtherCpu = otherCpuPercent(echoBefore, cpuSnapshot([echo.child.pid!]));
    await stopChild(echo.child);

    // BENCH_TEAMS_CPU_PROF=<dir>: a V8 CPU profile of Stint for the whole run, written there when it stops.
    const cpuProf = process.env.BENCH_TEAMS_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_TEAMS_CPU_PROF}`] : [];
    const stint = await startChild([...cpuProf, join(ROOT, 'bench/support/teams-server.mjs')], {
      ...teamsEnv,
      DATABASE_URL: dbUrl.toString(),
      PORT: String(await freePort()),
      STINT_POLICY: join(dir, 'stint.yaml'),
      ORDERS_DB_ADMIN_URL: 'postgresql://bench@127.0.0.1:9/unused',
      LOG_LEVEL: 'warn',
    });
    children.push(stint.child);
    const stintUrl = `${stint.url}/api/messages`;
    const requestIds = await createRequests(stintUrl, connector, requestCount);
    await warmUp(stintUrl, connector, requestIds.at(-1)!);
    await new Promise((r) => setTimeout(r, 2_000)); // let the creation phase's replies and writes settle
    const clicks = clickPlan(requestIds);
    // Profile mode (teams-server.mjs): figures from here on; they are printed to stderr when Stint stops.
    if (process.env.BENCH_TEAMS_PROFILE === '1') stint.child.kill('SIGUSR1');
    const benchPids = async () => [stint.child.pid!, ...(await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db])).rows.map((r) => r.pid)];
    const stintBefore = cpuSnapshot(await benchPids());
    const stintLoad = await load(dir, 'stint', stintUrl, connector, clicks);
    const stintOtherCpu = otherCpuPercent(stintBefore, cpuSnapshot(await benchPids()));

    // Each measured approval must have left exactly one decision on its request.
    const measured = clicks.slice(RATE).filter((c) => c.kind === 'approve').map((c) => c.requestId);
    const checked = new pg.Client({ connectionString: dbUrl.toString() });
    await checked.connect();
    let decided: number;
    try {
      decided = Number((await checked.query<{ n: string }>('SELECT count(*) AS n FROM "Decision" WHERE "requestId" = ANY($1)', [measured])).rows[0]!.n);
    } finally {
      await checked.end();
    }

    const round = (x: number) => Math.round(x * 10) / 10;
    const approve = stintLoad.byKind.approve;
    const refresh = stintLoad.byKind.refresh;
    return {
      ratePerSec: RATE,
      seconds: SECONDS,
      clicks: stintLoad.sent,
      approveClicks: approve.count,
      refreshClicks: refresh.count,
      invokeP50Ms: round(stintLoad.p50),
      invokeP99Ms: round(stintLoad.p99),
      invokeMaxMs: round(stintLoad.max),
      invokeErrors: stintLoad.errors,
      approveP50Ms: round(approve.p50),
      approveP99Ms: round(approve.p99),
      approveMaxMs: round(approve.max),
      approveNotApplied: approve.notApplied,
      approveDecisionsStored: decided,
      refreshP50Ms: round(refresh.p50),
      refreshP99Ms: round(refresh.p99),
      echoP50Ms: round(baseline.p50),
      echoP99Ms: round(baseline.p99),
      echoErrors: baseline.errors,
      invokeRatioToEcho: round(stintLoad.p99 / baseline.p99),
      ratioToEcho: round(stintLoad.p99 / baseline.p99),
      approveRatioToEcho: round(approve.p99 / baseline.p99),
      // Share of the two cores used by processes outside the bench while each target was loaded (a neighbour's
      // test run shows here; figures taken with more than a few percent are not Stint's alone).
      otherCpuPctDuringStint: round(stintOtherCpu),
      otherCpuPctDuringEcho: round(echoOtherCpu),
      maxSendLagMs: round(Math.max(stintLoad.maxSendLagMs, baseline.maxSendLagMs)),
    };
  } finally {
    await Promise.all(children.map(stopChild));
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await admin.end();
  }
}
