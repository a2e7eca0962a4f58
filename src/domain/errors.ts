/**
 * The one error type every surface knows how to render (REST → 4xx JSON, CLI → stderr + exit code,
 * chat → ephemeral text). `code` is a stable wire value (DESIGN.md section 6); `message` says what to do next.
 */
export const ERROR_CODES = {
  INVALID_BODY: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_ELIGIBLE: 403,
  SELF_APPROVAL: 403,
  /** The workflow asks for a second factor (issue 12) and none was given, or the person has not enrolled one. */
  STEP_UP_REQUIRED: 403,
  /** The second factor's code is wrong, expired or already used. */
  STEP_UP_FAILED: 403,
  NOT_FOUND: 404,
  NOT_PENDING: 409,
  ALREADY_DECIDED: 409,
  /** Acknowledging the review of a request that was not a break-glass use (it has none). */
  NOT_BREAK_GLASS: 409,
  UNKNOWN_SCOPE: 422,
  MIXED_WORKFLOWS: 422,
  INVALID_DURATION: 422,
  DURATION_TOO_LONG: 422,
  COMMENT_REQUIRED: 422,
  POLICY_INVALID: 422,
  /** Revealing a credential for a grant whose scopes mint none (e.g. a membership of an existing role). */
  NO_CREDENTIAL: 422,
  /** The workflow checks tickets and the request's is missing, unknown to the ticket system or in a state not allowed. */
  TICKET_INVALID: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  AUDIT_BROKEN: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class StintError extends Error {
  override readonly name = 'StintError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
}

export function isStintError(err: unknown): err is StintError {
  return err instanceof StintError;
}

/** `details.reason` of the UNAVAILABLE the store raises when the database had no connection free: nothing happened. */
export const DATABASE_BUSY = 'database_busy';

/**
 * An UNAVAILABLE that means "it is underway and retried" (a provider refused a revoke recorded as REVOKING), as
 * opposed to one that means nothing was recorded (the database was too busy) and the caller must try again.
 */
export function isUnderwayUnavailable(err: unknown): err is StintError {
  return isStintError(err) && err.code === 'UNAVAILABLE' && err.details?.reason !== DATABASE_BUSY;
}
