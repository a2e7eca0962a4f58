/**
 * What Stint keeps of a webhook grant (the `GrantHandleData`) and how the receiver's answers are read. The
 * receiver may return a small flat `handle` of its own ids with a grant; it is echoed back on later events, so
 * it is checked here: a plain object of at most 16 short strings or numbers. Handles are stored in Stint's
 * database and shown in audit data, so receivers must never put secrets in them (documented).
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData } from '../../core/ports.ts';

const MAX_HANDLE_JSON = 1024;

export const receiverHandleSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'keys must be 1-64 characters of letters, digits, _ . -' }),
    z.union([z.string().max(256), z.number().finite()], { error: 'values must be strings (at most 256 characters) or numbers' }),
  )
  .refine((handle) => Object.keys(handle).length <= 16, { error: 'at most 16 keys' })
  .refine((handle) => JSON.stringify(handle).length <= MAX_HANDLE_JSON, { error: `at most ${MAX_HANDLE_JSON} characters as JSON` });

export type ReceiverHandle = z.infer<typeof receiverHandleSchema>;

export interface WebhookHandle extends GrantHandleData {
  requestId: string;
  resourceId: string;
  principalId: string;
  account: string | null;
  /** ISO time the receiver was last told the access ends. */
  expiresAt: string;
  preexisting: boolean;
  /** The receiver's own ids from its grant answer, echoed back as `handle`. */
  receiver?: ReceiverHandle;
}

// Handles come back from Stint's database as JSON: checked at this edge, trusted inside.
const storedHandleSchema = z.looseObject({
  requestId: z.string(),
  resourceId: z.string(),
  principalId: z.string(),
  account: z.string().nullable(),
  expiresAt: z.string(),
  preexisting: z.boolean(),
  receiver: receiverHandleSchema.optional(),
});

export function parseStoredHandle(data: GrantHandleData): WebhookHandle {
  const parsed = storedHandleSchema.safeParse(data);
  if (!parsed.success) throw new StintError('INTERNAL', 'webhook provider: the stored grant handle is not one this provider wrote');
  return parsed.data as WebhookHandle;
}

export type GrantAnswer = { ok: true; preexisting: boolean; receiver?: ReceiverHandle } | { ok: false; preexisting: boolean; problem: string };

/** Reads a grant's 2xx body: `{ "handle"?: {…}, "preexisting"?: boolean }`; an empty or non-JSON body means neither. */
export function readGrantAnswer(body: string): GrantAnswer {
  let json: unknown;
  try {
    json = body.trim() ? JSON.parse(body) : {};
  } catch {
    return { ok: true, preexisting: false };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: true, preexisting: false };
  const answer = json as { handle?: unknown; preexisting?: unknown };
  if (answer.preexisting !== undefined && typeof answer.preexisting !== 'boolean') {
    return { ok: false, preexisting: false, problem: 'preexisting must be true or false' };
  }
  const preexisting = answer.preexisting === true;
  if (answer.handle === undefined || answer.handle === null) return { ok: true, preexisting };
  const parsed = receiverHandleSchema.safeParse(answer.handle);
  if (!parsed.success) {
    const problem = parsed.error.issues.map((issue) => issue.message).join('; ');
    return { ok: false, preexisting, problem: `handle must be a flat JSON object of ids (${problem})` };
  }
  return { ok: true, preexisting, receiver: parsed.data };
}

/** Reads a check's 2xx body: exactly `{ "present": true|false }` (other keys ignored). */
export function readCheckAnswer(body: string, where: string): 'present' | 'absent' {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const present = (json as { present?: unknown } | undefined)?.present;
  if (typeof present !== 'boolean') {
    throw new StintError('UNAVAILABLE', `${where}: the answer to check must be JSON {"present": true|false}; fix the receiver, or set check: false if it cannot answer checks`);
  }
  return present ? 'present' : 'absent';
}
