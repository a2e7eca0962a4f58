/**
 * `GET /api/v1/audit` for a SIEM that pulls: a page in json/syslog/cef, and with `follow=true` one long response
 * that streams each new event as it is appended and, when the server shuts down, ends with a signed anchor of
 * the head (STINT_AUDIT_SIGNING_KEY) instead of holding the shutdown up.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorsIn, checkAnchors, loadSigningKey } from '../../src/audit/anchors.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';

const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
let h: ApiHarness;
let url: string;
/** The seqs of the three events the test appended (the harness's own events come before them). */
let seeded: bigint[];

beforeAll(async () => {
  h = await apiHarness({ env: { PORT: '0', STINT_AUDIT_SIGNING_KEY: pem } });
  url = (await h.app.listen()).replace('localhost', '127.0.0.1');
  seeded = [];
  for (const n of [1, 2, 3]) seeded.push((await h.app.store.appendAudit({ actor: 'erin', action: 'test.seeded', data: { n }, at: new Date() })).seq);
}, 60_000);

afterAll(async () => {
  await h?.close().catch(() => undefined);
});

/** Reads a streamed response line by line. */
function lineReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next(timeoutMs = 10_000): Promise<string | null> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const nl = buffered.indexOf('\n');
        if (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          return line;
        }
        if (Date.now() > deadline) throw new Error(`no line within ${timeoutMs} ms`);
        const chunk = await Promise.race([reader.read(), new Promise<'late'>((r) => setTimeout(() => r('late'), deadline - Date.now()))]);
        if (chunk === 'late') continue;
        if (chunk.done) return null;
        buffered += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}

describe('GET /api/v1/audit', () => {
  it('answers a page after a sequence number in the format asked for', async () => {
    const res = await h.call('erin', 'GET', `/api/v1/audit?after=${seeded[0]}&limit=1&format=cef`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const lines = String(res.body).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^CEF:0\|Stint\|Stint\|.*\|test\.seeded\|/);
    expect(lines[0]).toContain(`externalId=${seeded[1]}`);
  });

  it('refuses an unknown format or follow value with the field named, and a token without audit:read', async () => {
    const bad = await h.call('erin', 'GET', '/api/v1/audit?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'INVALID_BODY' } });
    expect(JSON.stringify(bad.body)).toContain('format');
    expect((await h.call('erin', 'GET', '/api/v1/audit?follow=yes')).status).toBe(400);
    expect((await h.call('alice', 'GET', '/api/v1/audit?follow=true')).status).toBe(403);
  });

  it('with follow=true streams new events as they are appended and ends with a signed anchor at shutdown', async () => {
    const res = await fetch(`${url}/api/v1/audit?follow=true&after=${seeded[1]}`, { headers: { authorization: `Bearer ${h.tokens.erin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = lineReader(res.body!);
    expect(JSON.parse((await lines.next())!)).toMatchObject({ seq: seeded[2]!.toString(), action: 'test.seeded' });

    const appended = await h.app.store.appendAudit({ actor: 'erin', action: 'test.live', data: {}, at: new Date() });
    const live = JSON.parse((await lines.next())!) as { seq: string; action: string; hash: string };
    expect(live).toMatchObject({ seq: appended.seq.toString(), action: 'test.live' });

    const closedAt = Date.now();
    const closing = h.app.close();
    const rest: string[] = [];
    for (let line = await lines.next(); line !== null; line = await lines.next()) rest.push(line);
    await closing;
    expect(Date.now() - closedAt).toBeLessThan(5_000);

    const anchors = anchorsIn(rest.join('\n'));
    expect(anchors).toHaveLength(1);
    expect(anchors[0]).toMatchObject({ seq: live.seq, hash: live.hash });
    const check = await checkAnchors(anchors, [loadSigningKey(pem).publicKey], async () => live.hash);
    expect(check.ok).toBe(true);
  }, 30_000);
});
