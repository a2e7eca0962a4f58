/**
 * Reads an error from the Azure SDK (ARM's `{"error":{"code","message"}}` as a RestError, an Entra token
 * failure as AuthenticationError, a timeout as AbortError) and decides: transient (throttled, 5xx, network —
 * retried) or permanent (a StintError saying what to fix: the permission Stint's principal lacks, the policy
 * field that is wrong). ARM's own message is quoted; it names ids, never secrets.
 */
import { StintError } from '../../domain/errors.ts';
import type { ArmOperation } from './arm-session.ts';

export interface ArmErrorVerdict {
  transient: boolean;
  error: StintError;
  /** From `Retry-After` (seconds or an HTTP date) or `retry-after-ms`. */
  retryAfterMs?: number;
}

interface ErrorContext {
  op: ArmOperation;
  scope: string;
  /** "client <id>" or "the credential from the environment". */
  who: string;
}

interface SdkError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  errorResponse?: { error?: string; errorDescription?: string };
}

// @azure/identity's errors: MSAL's failures arrive as AuthenticationRequiredError with the OAuth code in the message.
const AUTH_ERRORS = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError', 'AggregateAuthenticationError']);
// MSAL keeps no HTTP status on these: Entra's throttling (AADSTS50196, 90055) and outage codes are read from the text.
const TRANSIENT_AUTH = /temporarily_unavailable|server_error|request_timeout|AADSTS(50196|90055|90033|90006|500014)\b|throttl|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|network/i;
const TRANSIENT_CODES = new Set(['TooManyRequests', 'RetryableError', 'ServerTimeout', 'InternalServerError', 'ServiceUnavailable', 'GatewayTimeout']);

export function describeArmError(raw: unknown, ctx: ErrorContext): ArmErrorVerdict {
  const error = (raw ?? {}) as SdkError;
  const status = error.statusCode;
  const code = error.code ?? error.errorResponse?.error ?? error.name ?? 'Error';
  const quoted = shorten(error.errorResponse?.errorDescription ?? error.message ?? String(raw));
  const details = { code, status };
  const fail = (stintCode: ConstructorParameters<typeof StintError>[0], message: string): ArmErrorVerdict => ({
    transient: false,
    error: new StintError(stintCode, message, details),
  });

  if (error.name === 'AbortError' || error.name === 'TimeoutError') {
    return { transient: true, error: new StintError('UNAVAILABLE', `Azure did not answer in time to ${ctx.op.what} at ${ctx.scope}`, details) };
  }
  if (AUTH_ERRORS.has(error.name ?? '')) {
    if (status === 429 || (status !== undefined && status >= 500) || TRANSIENT_AUTH.test(error.message ?? '')) {
      // MSAL keeps its own throttle window (Entra's Retry-After) and answers from it without a call: wait ≥ 1 s.
      // `token`: no ARM call was made, so nothing can have happened on Azure.
      return { transient: true, error: new StintError('UNAVAILABLE', `Entra ID could not issue Stint a token now: ${quoted}`, { ...details, token: true }), retryAfterMs: retryAfter(error) ?? 1000 };
    }
    return fail('POLICY_INVALID', `Entra ID refused Stint's credential (${ctx.who}): ${quoted}. Check tenantId, clientId and the clientSecret reference (or the environment's Azure credential)`);
  }
  if (status === undefined || status === 408 || status === 429 || status >= 500 || TRANSIENT_CODES.has(code)) {
    return { transient: true, error: new StintError('UNAVAILABLE', `Azure could not ${ctx.op.what} at ${ctx.scope} now (${status ?? code}): ${quoted}`, details), retryAfterMs: retryAfter(error) };
  }
  switch (code) {
    case 'AuthorizationFailed':
    case 'LinkedAuthorizationFailed':
      return fail(
        'FORBIDDEN',
        `Stint's Azure principal (${ctx.who}) lacks ${ctx.op.action} on ${ctx.scope}, so it cannot ${ctx.op.what}: assign it a role with that action at this scope (the "Stint JIT access broker" custom role of the README)`,
      );
    case 'PrincipalNotFound':
      return fail('POLICY_INVALID', `Azure knows no principal with that id: set the person's accounts.azure to their Entra object id (a principal created minutes ago may not have replicated yet). Azure said: ${quoted}`);
    case 'RoleDefinitionDoesNotExist':
    case 'RoleDefinitionNotFound':
      return fail('POLICY_INVALID', `the role definition of this resource does not exist at ${ctx.scope}: fix the resource's roleDefinitionId. Azure said: ${quoted}`);
    case 'InvalidAuthenticationToken':
    case 'InvalidAuthenticationTokenAudience':
    case 'InvalidAuthenticationTokenTenant':
    case 'ExpiredAuthenticationToken':
      return fail('POLICY_INVALID', `ARM refused Stint's token (${code}): check tenantId, and audience/endpoint for a sovereign cloud. Azure said: ${quoted}`);
  }
  if (status === 404 || /NotFound$/.test(code) || code === 'InvalidScope' || code === 'MissingSubscription') {
    return fail('POLICY_INVALID', `Azure cannot ${ctx.op.what}: the scope ${ctx.scope} does not exist or is not reachable (${code}); fix the resource's scope. Azure said: ${quoted}`);
  }
  return fail('POLICY_INVALID', `Azure refused to ${ctx.op.what} at ${ctx.scope} (${status} ${code}): ${quoted}`);
}

function retryAfter(error: SdkError): number | undefined {
  const headers = error.response?.headers;
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
