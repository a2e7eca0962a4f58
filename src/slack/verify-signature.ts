/**
 * Slack request signing (v0): `x-slack-signature = v0=HMAC_SHA256(secret, "v0:" + timestamp + ":" + rawBody)`.
 * Refuses a timestamp more than 5 minutes from now in either direction — Bolt's own check lets future
 * timestamps through (FACTS.md), which would let a captured request be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_WINDOW_SEC = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifySlackSignature(input: {
  signingSecret: string;
  rawBody: string;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
}): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, reason: 'missing x-slack-request-timestamp or x-slack-signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed timestamp' };
  const skew = Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp));
  if (skew > SIGNATURE_WINDOW_SEC) return { ok: false, reason: `timestamp ${skew} s away from now (more than ${SIGNATURE_WINDOW_SEC} s)` };
  const expected = `v0=${createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:${input.rawBody}`).digest('hex')}`;
  const given = Buffer.from(signature);
  const wanted = Buffer.from(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** The headers a correctly signed request carries (tests and the bench sign with it too). */
export function signSlackRequest(signingSecret: string, rawBody: string, timestampSec: number): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestampSec), 'x-slack-signature': signature };
}
