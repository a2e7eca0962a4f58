// Timings for the Teams bench's profile mode (teams-server.mjs with BENCH_TEAMS_PROFILE=1), taken from outside
// the product: wrapped methods and Fastify hooks, no change to src/. Wall times include waiting (pool, event loop).
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const spans = new Map();
let loop = monitorEventLoopDelay({ resolution: 5 });
let elu = performance.eventLoopUtilization();
let cpu = process.cpuUsage();
let since = performance.now();
loop.enable();

function record(label, ms) {
  const s = spans.get(label) ?? { calls: 0, totalMs: 0, maxMs: 0, samples: [] };
  s.calls += 1;
  s.totalMs += ms;
  s.maxMs = Math.max(s.maxMs, ms);
  if (s.samples.length < 20000) s.samples.push(ms);
  spans.set(label, s);
}

function timed(label, fn) {
  return function (...args) {
    const t = performance.now();
    const out = fn.apply(this, args);
    if (out && typeof out.then === 'function') return out.finally(() => record(label, performance.now() - t));
    record(label, performance.now() - t);
    return out;
  };
}

/** Wraps every method of `target` (own and inherited, not Object's) on the instance itself. */
function wrapMethods(prefix, target) {
  const names = new Set();
  for (let o = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) for (const n of Object.getOwnPropertyNames(o)) names.add(n);
  for (const n of names) {
    if (n === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(target, n) ?? Object.getOwnPropertyDescriptor(Object.getPrototypeOf(target) ?? {}, n);
    if (d && !d.get && typeof target[n] === 'function') target[n] = timed(`${prefix}.${n}`, target[n]);
  }
}

export function instrumentAuthentication(botbuilder) {
  const proto = botbuilder.ConfigurationBotFrameworkAuthentication.prototype;
  proto.authenticateRequest = timed('auth.authenticateRequest', proto.authenticateRequest);
}

export function instrumentApp(app) {
  // The transaction's own statements (tx.*) and its commit: the time from the callback's end to the promise's.
  const transaction = app.store.transaction.bind(app.store);
  app.store.transaction = (fn, ...rest) => {
    let bodyEnd = 0;
    const out = transaction(async (tx) => {
      wrapMethods('tx', tx);
      try {
        return await fn(tx);
      } finally {
        bodyEnd = performance.now();
      }
    }, ...rest);
    return out.finally(() => record('tx.commit (body end → resolved)', performance.now() - bodyEnd));
  };
  wrapMethods('store', app.store);
  if (app.core.notifier) wrapMethods('notifier', app.core.notifier);
  app.server.addHook('onRequest', async (req) => {
    req.benchStarted = performance.now();
  });
  app.server.addHook('onResponse', async (req) => {
    const kind = req.body?.type === 'invoke' ? `route.invoke.${String(req.body?.value?.action?.verb ?? '')}` : `route.${req.body?.type ?? req.url}`;
    record(kind, performance.now() - req.benchStarted);
  });
  process.on('SIGUSR1', () => {
    spans.clear();
    loop.disable();
    loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    elu = performance.eventLoopUtilization();
    cpu = process.cpuUsage();
    since = performance.now();
  });
}

export function report() {
  const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const r1 = (x) => Math.round(x * 10) / 10;
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - since;
  const out = {
    wallMs: r1(wallMs),
    cpuMs: r1((used.user + used.system) / 1000),
    eventLoopUtilization: r1(performance.eventLoopUtilization(elu).utilization * 100) / 100,
    eventLoopDelayP50Ms: r1(loop.percentile(50) / 1e6),
    eventLoopDelayP99Ms: r1(loop.percentile(99) / 1e6),
    eventLoopDelayMaxMs: r1(loop.max / 1e6),
    spans: {},
  };
  for (const [label, s] of [...spans].sort((a, b) => b[1].totalMs - a[1].totalMs)) {
    const sorted = s.samples.sort((a, b) => a - b);
    out.spans[label] = { calls: s.calls, meanMs: r1(s.totalMs / s.calls), p50Ms: r1(q(sorted, 0.5)), p99Ms: r1(q(sorted, 0.99)), maxMs: r1(s.maxMs) };
  }
  return out;
}
