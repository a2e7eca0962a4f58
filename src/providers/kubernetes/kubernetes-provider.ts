/**
 * The `kubernetes` provider (DESIGN.md section 7): one RoleBinding (or ClusterRoleBinding) per grant, binding
 * the resource's role to the person's user or group (`accounts.kubernetes`), labelled as Stint's with the
 * request id and annotated with the expiry; revoke deletes it. `listGranted` finds Stint's bindings by label
 * for the reconciler's orphan sweep.
 *
 * Preexisting access: a binding *not* made by Stint that gives exactly this role to this subject in the same
 * scope (same namespace's RoleBindings, or the ClusterRoleBindings) makes the grant `preexisting`: Stint
 * creates nothing and never deletes that binding (it never deletes any binding it did not make).
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';
import { bindingApi, bindingBody, grantsWant, isStints, wantOf, type Binding, type BindingApi, type Want } from './kubernetes-bindings.ts';
import { KubernetesApiError, loadKubeConfig, rbacApi, type CallPolicy } from './kubernetes-client.ts';
import {
  bindingName,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  parseKubernetesConfig,
  REQUEST_LABEL,
  RESOURCE_ANNOTATION,
  requestLabelValue,
  type KubernetesConfig,
} from './kubernetes-config.ts';

export interface KubernetesProviderOptions {
  /** Where `env:` references (and the in-cluster check) are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** First retry delay, doubling per attempt. @defaultValue 200 */
  baseDelayMs?: number;
  /** Longest wait between attempts, a Retry-After included. @defaultValue 5_000 */
  maxDelayMs?: number;
  /** Per-request timeout. @defaultValue 10_000 */
  timeoutMs?: number;
}

const DEFAULTS = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, timeoutMs: 10_000 };

/** What revoke, extend and check need later: names only (never the kubeconfig or its token). */
export interface BindingHandle extends GrantHandleData {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  namespace?: string;
  requestId: string;
  resourceId: string;
  roleKind: 'ClusterRole' | 'Role';
  roleName: string;
  subjectKind: 'User' | 'Group';
  account: string;
  preexisting: boolean;
}

// Handles come back from the store as JSON: checked at this edge, trusted inside.
const handleSchema = z.looseObject({
  kind: z.enum(['RoleBinding', 'ClusterRoleBinding']),
  name: z.string(),
  namespace: z.string().optional(),
  requestId: z.string(),
  resourceId: z.string(),
  roleKind: z.enum(['ClusterRole', 'Role']),
  roleName: z.string(),
  subjectKind: z.enum(['User', 'Group']),
  account: z.string(),
  preexisting: z.boolean(),
});

function parseHandle(handle: GrantHandleData): BindingHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'kubernetes provider: the stored grant handle is not one this provider wrote');
  return parsed.data as BindingHandle;
}

const wantOfHandle = (h: BindingHandle): Want => ({ roleKind: h.roleKind, roleName: h.roleName, subjectKind: h.subjectKind, account: h.account });

/** Stint's binding for this request and resource (not a namesake someone else made). */
function isOurs(binding: Binding, requestLabel: string, resourceId: string, want: Want): boolean {
  return isStints(binding) && binding.metadata?.labels?.[REQUEST_LABEL] === requestLabel && binding.metadata.annotations?.[RESOURCE_ANNOTATION] === resourceId && grantsWant(binding, want);
}

export function createKubernetesProvider(options: KubernetesProviderOptions = {}): Provider {
  const env = options.env ?? process.env;

  async function bindingsOf(config: KubernetesConfig): Promise<BindingApi> {
    const policy: CallPolicy = {
      maxAttempts: config.maxAttempts ?? DEFAULTS.maxAttempts,
      baseDelayMs: options.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    };
    return bindingApi(rbacApi(await loadKubeConfig(config, env)), config.namespace, policy);
  }

  function handleFor(config: KubernetesConfig, api: BindingApi, name: string, target: { requestId: string; resourceId: string }, want: Want, preexisting: boolean): BindingHandle {
    return {
      kind: api.kind,
      name,
      ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
      requestId: target.requestId,
      resourceId: target.resourceId,
      roleKind: want.roleKind,
      roleName: want.roleName,
      subjectKind: want.subjectKind,
      account: want.account,
      preexisting,
    };
  }

  /** Someone else's binding holds Stint's deterministic name: refuse rather than adopt or delete it. */
  function nameTaken(api: BindingApi, name: string): KubernetesApiError {
    return new KubernetesApiError(`kubernetes provider: a ${api.kind} named ${name} exists but is not this grant's; delete or rename it`, 409, 'AlreadyExists');
  }

  return {
    type: 'kubernetes',
    validate(config) {
      parseKubernetesConfig(config);
    },
    async grant(raw, target: GrantTarget) {
      const config = parseKubernetesConfig(raw);
      if (!target.account) {
        throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: ${target.principalId} has no kubernetes account; add accounts.kubernetes (the ${config.subjectKind.toLowerCase()} name the API server authenticates) for them in the policy`);
      }
      const want = wantOf(config, target.account);
      const requestLabel = requestLabelValue(target.requestId);
      const name = bindingName(target.requestId, target.resourceId);
      const api = await bindingsOf(config);
      const ownHandle = (binding: Binding) => {
        if (!isOurs(binding, requestLabel, target.resourceId, want)) throw nameTaken(api, name);
        return handleFor(config, api, name, target, want, false);
      };

      // A retry (or a concurrent twin) finds the binding this grant already made.
      const existing = await api.read(name);
      if (existing) return ownHandle(existing);
      const others = await api.list();
      if (others.some((b) => !isStints(b) && grantsWant(b, want))) return handleFor(config, api, name, target, want, true);
      const body = bindingBody(config.namespace, name, want, { requestLabel, expiresAt: target.expiresAt, resourceId: target.resourceId, principalId: target.principalId });
      if (await api.create(body)) return handleFor(config, api, name, target, want, false);
      // 409 AlreadyExists: a concurrent grant of the same target won the race.
      const raced = await api.read(name);
      if (!raced) throw new KubernetesApiError(`kubernetes provider: ${api.kind} ${name} was reported existing, then missing; retry the grant`, 409, 'AlreadyExists');
      return ownHandle(raced);
    },
    async extend(raw, data, newExpiry) {
      const handle = parseHandle(data);
      // Access Stint did not make carries no expiry of Stint's.
      if (handle.preexisting) return handle;
      const api = await bindingsOf(parseKubernetesConfig(raw));
      const patched = await api.patchExpiry(handle.name, requestLabelValue(handle.requestId), newExpiry);
      if (!patched) throw new KubernetesApiError(`kubernetes provider: ${handle.kind} ${handle.name} is gone, so its expiry cannot move; the drift sweep re-grants or ends the request`, 404, 'NotFound');
      return handle;
    },
    async revoke(raw, data, { stillNeeded }) {
      const handle = parseHandle(data);
      const api = await bindingsOf(parseKubernetesConfig(raw));
      const binding = await api.read(handle.name);
      // Absent (revoked already, or never made for a preexisting grant) is success; a namesake is not ours to delete.
      if (!binding || !isOurs(binding, requestLabelValue(handle.requestId), handle.resourceId, wantOfHandle(handle))) return;
      if (stillNeeded) {
        // Each request has its own binding: ours may go only when another Stint binding keeps the same access.
        const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY},${REQUEST_LABEL}`;
        const twins = (await api.list(selector)).filter((b) => b.metadata?.name !== handle.name && grantsWant(b, wantOfHandle(handle)));
        if (twins.length === 0) return;
      }
      await api.remove(handle.name, binding.metadata!.uid!);
    },
    async check(raw, data) {
      const handle = parseHandle(data);
      const api = await bindingsOf(parseKubernetesConfig(raw));
      const want = wantOfHandle(handle);
      if (!handle.preexisting) {
        const binding = await api.read(handle.name);
        return binding && isOurs(binding, requestLabelValue(handle.requestId), handle.resourceId, want) ? 'present' : 'absent';
      }
      // A preexisting grant: is the access Stint found (and never removes) still there?
      return (await api.list()).some((b) => grantsWant(b, want)) ? 'present' : 'absent';
    },
    describe(raw) {
      const config = parseKubernetesConfig(raw);
      const where = config.namespace === undefined ? 'cluster-wide' : `in namespace ${config.namespace}`;
      return `Kubernetes: ${config.roleRef.kind} ${config.roleRef.name} ${where} for your ${config.subjectKind === 'Group' ? 'group' : 'user'}`;
    },
    async listGranted(raw) {
      const config = parseKubernetesConfig(raw);
      const api = await bindingsOf(config);
      const found = await api.list(`${MANAGED_BY_LABEL}=${MANAGED_BY},${REQUEST_LABEL}`);
      return found.flatMap((b) => {
        const requestId = b.metadata?.labels?.[REQUEST_LABEL];
        const resourceId = b.metadata?.annotations?.[RESOURCE_ANNOTATION];
        const subject = b.subjects?.find((s) => s.kind === config.subjectKind);
        // Only bindings of this resource's role: another resource sharing the namespace lists its own.
        if (!requestId || !resourceId || !subject || b.roleRef.kind !== config.roleRef.kind || b.roleRef.name !== config.roleRef.name) return [];
        const want = wantOf(config, subject.name);
        return [{ requestId, handle: handleFor(config, api, b.metadata!.name!, { requestId, resourceId }, want, false) }];
      });
    },
  };
}
