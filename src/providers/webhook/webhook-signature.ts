/**
 * The `Stint-Signature` header (Stripe style): `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the signed text, so a receiver that rejects old timestamps also rejects replays.
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'Stint-Signature';

/** Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`. */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for `body` sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}
