/**
 * The agents bench's load generator, in its own process (it must not share the server's event loop): CONCURRENCY
 * loops for SECONDS, each either GET /hello or POST /api/v1/introspect (a form, as RFC 7662 clients send it) with a
 * random credential from TOKENS_FILE (one per line) and the resource server's token. Prints
 * `{rps, p50, p99, errors, inactive, concurrency}` as JSON on stdout. Every introspection must come back active.
 * Usage: introspect-load.ts hello <baseUrl> | introspect <baseUrl> <introspectToken> <tokensFile>
 */
import { runLoad } from './run-load.ts';
import { readFileSync } from 'node:fs';

const [scenario, base, introspectToken, tokensFile] = process.argv.slice(2) as [string, string, string?, string?];
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

const credentials = tokensFile ? readFileSync(tokensFile, 'utf8').split('\n').filter(Boolean) : [];
let inactive = 0;

const scenarios: Record<string, () => Promise<void>> = {
  async hello() {
    const res = await fetch(`${base}/hello`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await res.json();
  },
  async introspect() {
    const token = credentials[Math.floor(Math.random() * credentials.length)]!;
    const res = await fetch(`${base}/api/v1/introspect`, {
      method: 'POST',
      headers: { authorization: `Bearer ${introspectToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(token)}&scope=data%3Awrite`,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    if (!((await res.json()) as { active: boolean }).active) inactive++;
  },
};

const work = scenarios[scenario];
if (!work) throw new Error(`unknown scenario ${scenario}`);
let measuring = false;
const warmEnd = performance.now() + 1000;
// Warm-up answers are not counted: `inactive` starts at zero with the measured loop.
const result = await runLoad(async () => {
  if (!measuring && performance.now() > warmEnd) {
    measuring = true;
    inactive = 0;
  }
  await work();
}, { seconds: SECONDS, concurrency: CONCURRENCY });
process.stdout.write(JSON.stringify({ ...result, inactive }) + '\n');
