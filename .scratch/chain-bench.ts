// Scratch: audited transactions per second with C concurrent writers and a busy event loop.
import { openStore } from '../src/store/open-store.ts';
const url = process.env.URL ?? 'postgresql://postgres@127.0.0.1:5432/chainbench';
const C = Number(process.env.C ?? 16), SECONDS = Number(process.env.S ?? 8), BUSY = Number(process.env.BUSY ?? 0);
const store = await openStore({ databaseUrl: url, poolSize: 10 });
// simulate a loaded process: every 10 ms burn BUSY ms of CPU
const timer = BUSY > 0 ? setInterval(() => { const end = performance.now() + BUSY; while (performance.now() < end); }, 10) : undefined;
let done = 0; const stopAt = Date.now() + SECONDS * 1000;
await Promise.all(Array.from({ length: C }, async (_, w) => {
  while (Date.now() < stopAt) {
    await store.transaction(async (tx) => { tx.appendAudit({ actor: 'w' + w, action: 'bench.tx', requestId: null, data: { w, n: done }, at: new Date() }); });
    done++;
  }
}));
if (timer) clearInterval(timer);
console.log(JSON.stringify({ C, BUSY, txPerSec: Math.round(done / SECONDS) }));
const { verifyChain } = await import('../src/audit/verify-chain.ts').catch(() => ({} as any));
await store.close();
