/**
 * getIamPolicy / setIamPolicy of the Cloud Resource Manager v3 REST API over global fetch, and the
 * read-modify-write loop every edit goes through. Throttling (429 RESOURCE_EXHAUSTED), 5xx/UNAVAILABLE,
 * timeouts and network errors are retried with bounded backoff; a concurrent change of the policy (409 ABORTED,
 * the etag moved) re-reads and re-applies the edit; anything else throws at once, saying what to fix.
 */
import { StintError } from '../../domain/errors.ts';
import type { IamPolicy } from './gcp-bindings.ts';
import { TransientAuthError, type TokenSource } from './gcp-auth.ts';

export interface IamCallOptions {
  endpoint: string;
  tokens: TokenSource;
  maxAttempts: number;
  /** First backoff delay; doubles per attempt, with jitter. */
  retryDelayMs: number;
  requestTimeoutMs: number;
}

interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
}

/** An answer of the API that is not a success, with Google's status word (ABORTED, PERMISSION_DENIED, …). */
class IamApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
  get transient(): boolean {
    return this.httpStatus === 429 || this.httpStatus >= 500 || this.status === 'RESOURCE_EXHAUSTED' || this.status === 'UNAVAILABLE';
  }
  get conflict(): boolean {
    return this.httpStatus === 409 || this.status === 'ABORTED';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (options: IamCallOptions, attempt: number) => sleep(options.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));

async function callOnce(options: IamCallOptions, resource: string, verb: 'getIamPolicy' | 'setIamPolicy', body: unknown): Promise<IamPolicy> {
  const token = await options.tokens.token();
  const url = `${options.endpoint.replace(/\/+$/, '')}/v3/${resource}:${verb}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(options.requestTimeoutMs),
  });
  const text = await response.text();
  if (response.ok) {
    try {
      return JSON.parse(text) as IamPolicy;
    } catch {
      throw new IamApiError(502, 'UNAVAILABLE', `${verb} answered ${response.status} with a body that is not JSON`);
    }
  }
  let error: GoogleError = {};
  try {
    error = (JSON.parse(text) as { error?: GoogleError }).error ?? {};
  } catch {
    // a proxy's HTML page: the HTTP status is all we have
  }
  throw new IamApiError(response.status, error.status ?? String(response.status), (error.message ?? text.slice(0, 200)).slice(0, 500));
}

/** What the operator must fix for a permanent error, by Google's status word. */
function permanentError(err: IamApiError, resource: string, verb: string): StintError {
  const what = `GCP ${verb} on ${resource} failed: ${err.status} (${err.httpStatus}): ${err.message}`;
  const kind = resource.split('/')[0]!.replace(/s$/, '');
  switch (err.status) {
    case 'PERMISSION_DENIED':
    case 'UNAUTHENTICATED':
      return new StintError('FORBIDDEN', `${what}. The resource may not exist, or Stint's credential lacks resourcemanager.${kind}s.getIamPolicy and resourcemanager.${kind}s.setIamPolicy on it`, { resource, status: err.status });
    case 'NOT_FOUND':
      return new StintError('POLICY_INVALID', `${what}. Check the resource (${resource}) in the policy`, { resource, status: err.status });
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
      return new StintError('POLICY_INVALID', `${what}. Check the role and the person's accounts.gcp in the policy`, { resource, status: err.status });
    default:
      return new StintError('UNAVAILABLE', what, { resource, status: err.status });
  }
}

function isTimeoutOrNetwork(err: unknown): boolean {
  return err instanceof TypeError || (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError')) || err instanceof TransientAuthError;
}

/** One API call, retried while the failure is transient; a conflict is returned to the caller's loop. */
async function call(options: IamCallOptions, resource: string, verb: 'getIamPolicy' | 'setIamPolicy', body: unknown): Promise<IamPolicy> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await callOnce(options, resource, verb, body);
    } catch (err) {
      // A conflict on a write goes back to editPolicy, which re-reads; on a read it is just another transient answer.
      if (err instanceof IamApiError && err.conflict && verb === 'setIamPolicy') throw err;
      const transient = err instanceof IamApiError ? err.transient || err.conflict : isTimeoutOrNetwork(err);
      if (!transient) throw err instanceof IamApiError ? permanentError(err, resource, verb) : err;
      if (attempt >= options.maxAttempts) {
        const why = err instanceof Error ? err.message : String(err);
        throw new StintError('UNAVAILABLE', `GCP ${verb} on ${resource} still failing after ${attempt} attempts (${why}); it is retried later`, { resource });
      }
      await backoff(options, attempt);
    }
  }
}

/** The policy at version 3 (conditional bindings included). */
export function getPolicy(options: IamCallOptions, resource: string): Promise<IamPolicy> {
  return call(options, resource, 'getIamPolicy', { options: { requestedPolicyVersion: 3 } });
}

/**
 * Read-modify-write under the policy's etag. `edit` gets a fresh copy of the policy each round and returns the
 * policy to write, or null when nothing needs to change; the result is the policy as last read or written.
 */
export async function editPolicy(options: IamCallOptions, resource: string, edit: (policy: IamPolicy) => IamPolicy | null): Promise<IamPolicy> {
  for (let round = 1; ; round++) {
    const current = await getPolicy(options, resource);
    const next = edit(structuredClone(current));
    if (next === null) return current;
    try {
      return await call(options, resource, 'setIamPolicy', { policy: { ...next, version: 3, etag: current.etag } });
    } catch (err) {
      if (!(err instanceof IamApiError && err.conflict)) throw err;
      if (round >= options.maxAttempts) {
        throw new StintError('UNAVAILABLE', `GCP setIamPolicy on ${resource}: the policy kept changing under Stint (${round} etag conflicts); it is retried later`, { resource });
      }
      await backoff(options, round);
    }
  }
}
