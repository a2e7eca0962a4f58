import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader, signatureOf } from '../../../src/providers/webhook/webhook-signature.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../fakes/webhook-receiver.ts';

const SECRET = 'whsec_5f2b7c0e9a';

describe('Stint-Signature', () => {
  it('is hex HMAC-SHA256 of "<t>.<raw body>": a fixed vector, computed independently', () => {
    const body = JSON.stringify({ event: 'check', id: 'd-1' });
    const independent = createHmac('sha256', SECRET).update(`1767225600.${body}`).digest('hex');
    // Pinned as well, so a change of the scheme cannot pass by changing both sides.
    expect(independent).toBe('7c2a83fcac696d4ae21303ea252c49230b8eb4f5b1ed983e4bad09a2f9fa2621');
    expect(signatureOf(SECRET, 1767225600, body)).toBe(independent);
    expect(signatureHeader(SECRET, 1767225600, body)).toBe(`t=1767225600,v1=${independent}`);
  });
});

describe('the fake receiver checks signatures for real', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
  });
  afterAll(async () => receiver?.close());

  const event = () => ({
    event: 'check',
    id: 'd-2',
    requestId: 'r1',
    resourceId: 'app',
    principalId: 'alice',
    account: null,
    expiresAt: '2030-01-01T00:00:00.000Z',
    sentAt: new Date().toISOString(),
  });
  const post = (body: string, signature: string | null, extra: Record<string, string> = {}) =>
    fetch(receiver.url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Stint/test',
        'Idempotency-Key': 'r1:app:check:d-2',
        ...(signature === null ? {} : { 'Stint-Signature': signature }),
        ...extra,
      },
    });
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a correctly signed event', async () => {
    const body = JSON.stringify(event());
    const response = await post(body, signatureHeader(SECRET, now(), body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ present: false });
  });

  it('rejects a tampered body with 401', async () => {
    const body = JSON.stringify(event());
    const signature = signatureHeader(SECRET, now(), body);
    const tampered = body.replace('"alice"', '"mallory"');
    expect((await post(tampered, signature)).status).toBe(401);
  });

  it('rejects a missing signature, a wrong key and a timestamp older than 300 s with 401', async () => {
    const body = JSON.stringify(event());
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, signatureHeader('another-key', now(), body))).status).toBe(401);
    expect((await post(body, signatureHeader(SECRET, now() - 301, body))).status).toBe(401);
    expect((await post(body, 't=abc,v1=zz')).status).toBe(401);
  });

  it('rejects a wrong content type (415), an unknown event and an unknown key (400)', async () => {
    const body = JSON.stringify(event());
    expect((await post(body, signatureHeader(SECRET, now(), body), { 'Content-Type': 'text/plain' })).status).toBe(415);
    const unknown = JSON.stringify({ ...event(), event: 'delete-everything' });
    expect((await post(unknown, signatureHeader(SECRET, now(), unknown))).status).toBe(400);
    const extra = JSON.stringify({ ...event(), admin: true });
    expect((await post(extra, signatureHeader(SECRET, now(), extra))).status).toBe(400);
  });
});
