/**
 * The API client of one kubernetes resource and how every call is made: the kubeconfig from the resource's
 * secret reference (else in-cluster, else the default kubeconfig), a timeout per call, bounded retries of
 * throttling (429, honouring Retry-After) and server errors (5xx, network), and errors that name what to fix
 * without echoing the API server's response (it may quote request data) or any credential.
 */
import { ApiException, KubeConfig, Observable, RbacAuthorizationV1Api, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { resolveSecret } from '../secrets.ts';
import type { KubernetesConfig } from './kubernetes-config.ts';

export interface CallPolicy {
  /** Attempts per call (429/5xx/network errors). */
  maxAttempts: number;
  /** First backoff delay; doubles each attempt, capped by `maxDelayMs` (a Retry-After too). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-request timeout (aborts the HTTP request). */
  timeoutMs: number;
}

/** A failed API call. `status` is the HTTP status (0: no answer), `reason` the Status reason when there was one. */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | undefined,
  ) {
    super(message);
  }
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Loads the kubeconfig the resource names; without one, the pod's service account, else ~/.kube/config or $KUBECONFIG. */
export async function loadKubeConfig(config: KubernetesConfig, env: NodeJS.ProcessEnv): Promise<KubeConfig> {
  const kc = new KubeConfig();
  if (config.kubeconfig) {
    const yaml = await resolveSecret(config.kubeconfig, env);
    try {
      kc.loadFromString(yaml);
    } catch {
      throw new KubernetesApiError(`kubernetes provider: ${config.kubeconfig} is not a readable kubeconfig (YAML with clusters, users, contexts)`, 0, undefined);
    }
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (config.context) {
    if (!kc.getContextObject(config.context)) {
      throw new KubernetesApiError(`kubernetes provider: the kubeconfig has no context "${config.context}"; fix provider.context`, 0, undefined);
    }
    kc.setCurrentContext(config.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new KubernetesApiError('kubernetes provider: the kubeconfig has no current cluster; set current-context or provider.context', 0, undefined);
  }
  return kc;
}

export function rbacApi(kc: KubeConfig): RbacAuthorizationV1Api {
  return kc.makeApiClient(RbacAuthorizationV1Api);
}

/** What a call is, for messages: "create rolebindings in namespace team-a". */
export interface CallDescription {
  verb: 'get' | 'list' | 'create' | 'patch' | 'delete';
  resource: 'rolebindings' | 'clusterrolebindings';
  namespace?: string;
  name?: string;
}

function describeCall(call: CallDescription): string {
  const where = call.namespace ? ` in namespace ${call.namespace}` : ' (cluster-wide)';
  return `${call.verb} ${call.resource}${call.name ? ` ${call.name}` : ''}${where}`;
}

/** The Status object's reason and message from an ApiException body (a JSON string), when it is one. */
function statusOf(err: ApiException<unknown>): { reason?: string; message?: string } {
  const body = err.body;
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { kind?: string; reason?: string; message?: string } | undefined;
    if (parsed && parsed.kind === 'Status') return { reason: parsed.reason, message: parsed.message };
  } catch {
    // not JSON: a proxy's HTML page or similar
  }
  return {};
}

function retryAfterMs(err: ApiException<unknown>): number | undefined {
  const headers = (err.headers ?? {}) as Record<string, string | undefined>;
  const value = headers['retry-after'] ?? headers['Retry-After'];
  const seconds = value === undefined ? NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Turns a final failure into a message saying what to fix. Known statuses only; the server's text is not echoed. */
function toError(err: unknown, call: CallDescription, attempts: number): KubernetesApiError {
  const what = describeCall(call);
  if (err instanceof ApiException) {
    const status = err.code;
    const { reason } = statusOf(err);
    if (status === 401) return new KubernetesApiError(`kubernetes provider: the API server rejected Stint's credentials (401) on ${what}; renew the kubeconfig's token or certificate`, status, reason);
    if (status === 403) {
      // A create is also refused when Stint may not "bind" the role (RBAC's escalation check).
      const bind = call.verb === 'create' ? ', and the "bind" verb on the role it grants' : '';
      return new KubernetesApiError(`kubernetes provider: Forbidden: Stint's service account may not ${what}; grant it "${call.verb}" on rbac.authorization.k8s.io ${call.resource}${bind} (see the README's ClusterRole)`, status, reason);
    }
    if (status === 404) return new KubernetesApiError(`kubernetes provider: ${what}: not found (404); check the namespace and that the API server serves rbac.authorization.k8s.io/v1`, status, reason);
    if (status === 422 || status === 400) return new KubernetesApiError(`kubernetes provider: the API server refused ${what} as invalid (${status} ${reason ?? ''}); check roleRef and the account name`.replace(' )', ')'), status, reason);
    if (status === 409) return new KubernetesApiError(`kubernetes provider: ${what}: conflict (409 ${reason ?? ''})`.replace(' )', ')'), status, reason);
    if (status === 429 || status >= 500) return new KubernetesApiError(`kubernetes provider: ${what} still failed after ${attempts} attempts (HTTP ${status}); the API server is throttling or unavailable, Stint retries later`, status, reason);
    return new KubernetesApiError(`kubernetes provider: ${what} failed (HTTP ${status})`, status, reason);
  }
  if (isNetworkError(err)) {
    const e = err as { code?: string; name?: string };
    return new KubernetesApiError(`kubernetes provider: ${what}: no answer from the API server after ${attempts} attempts (${e.code ?? e.name})`, 0, undefined);
  }
  // The client refused before sending (a kubeconfig it cannot use): its message says why, and holds no credential.
  const message = err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
  return new KubernetesApiError(`kubernetes provider: ${what}: the client could not send the request (${message}); check the kubeconfig`, 0, undefined);
}

/** No HTTP answer at all (refused, reset, DNS, our timeout): node-fetch's FetchError/AbortError or a socket errno. */
function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; type?: string } | null;
  return e?.name === 'FetchError' || e?.name === 'AbortError' || e?.name === 'TimeoutError' || (typeof e?.code === 'string' && /^E[A-Z_]+$/.test(e.code));
}

function isRetryable(err: unknown): boolean {
  if (err instanceof ApiException) return err.code === 429 || err.code >= 500;
  return isNetworkError(err);
}

/**
 * Runs one API call with the timeout and retries. `accept` maps an expected error status to a result
 * (404 on delete = done, 409 on create = look it up) instead of throwing.
 */
export async function callApi<T>(
  policy: CallPolicy,
  call: CallDescription,
  run: (options: ConfigurationOptions) => Promise<T>,
  accept: Partial<Record<number, () => T | Promise<T>>> = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const signal = AbortSignal.timeout(policy.timeoutMs);
    // The object API passes call options to the observable layer, so the middleware answers Observables.
    const timeout = {
      pre: (context: RequestContext) => (context.setSignal(signal), new Observable(Promise.resolve(context))),
      post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
    };
    const options: ConfigurationOptions = { middleware: [timeout], middlewareMergeStrategy: 'append' };
    try {
      return await run(options);
    } catch (err) {
      if (err instanceof ApiException && accept[err.code]) return accept[err.code]!();
      if (!isRetryable(err) || attempt >= policy.maxAttempts) throw toError(err, call, attempt);
      const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
      const hinted = err instanceof ApiException ? retryAfterMs(err) : undefined;
      await sleep(hinted === undefined ? backoff : Math.min(hinted, policy.maxDelayMs));
    }
  }
}
