/**
 * Open-loop load in its own process: signed Slack slash commands sent at a fixed RATE per second for SECONDS,
 * whatever the answers take (a closed loop would hide queueing), to URL. Prints `{sent, p50, p99, max, errors}`.
 * Usage: signed-load.ts <url> <signingSecret> <text> [rate] [seconds]
 */
import { signSlackRequest } from '../../src/slack/verify-signature.ts';

const [url, secret, text, rateArg, secondsArg] = process.argv.slice(2) as [string, string, string, string?, string?];
const RATE = Number(rateArg ?? 100);
const SECONDS = Number(secondsArg ?? 30);
const USERS = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE'];

let counter = 0;
async function once(): Promise<number> {
  const n = ++counter;
  const body = new URLSearchParams({
    command: '/jit',
    text,
    user_id: USERS[n % USERS.length]!,
    team_id: 'T1',
    channel_id: 'C0GENERAL',
    response_url: `${process.env.RESPONSE_BASE ?? 'http://127.0.0.1:9/'}response/b${n}`,
    trigger_id: `t.${n}.${process.pid}`,
  }).toString();
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(secret, body, Math.floor(Date.now() / 1000)) }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return performance.now() - started;
}

// Warm-up: one second at the same rate, not measured.
const latencies: number[] = [];
let errors = 0;
const pending: Promise<void>[] = [];
const tick = 1000 / RATE;
const start = performance.now();
const total = (SECONDS + 1) * RATE;
for (let i = 0; i < total; i++) {
  const due = start + i * tick;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const measured = i >= RATE;
  pending.push(
    once().then(
      (ms) => void (measured && latencies.push(ms)),
      () => void (measured && errors++),
    ),
  );
}
await Promise.all(pending);
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
console.log(JSON.stringify({ sent: latencies.length + errors, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? 0, errors }));
