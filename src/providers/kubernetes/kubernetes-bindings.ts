/**
 * The RBAC objects Stint makes: one RoleBinding (in `namespace`) or ClusterRoleBinding (without one) per
 * grant, its body (labels and annotations that mark it as Stint's), and the five calls on it — read, create,
 * delete, patch the expiry annotation, list — the same for both kinds.
 */
import type { RbacAuthorizationV1Api, V1ClusterRoleBinding, V1RoleBinding, RbacV1Subject } from '@kubernetes/client-node';
import { callApi, type CallDescription, type CallPolicy } from './kubernetes-client.ts';
import {
  EXPIRES_ANNOTATION,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  PRINCIPAL_ANNOTATION,
  REQUEST_LABEL,
  RESOURCE_ANNOTATION,
  type KubernetesConfig,
} from './kubernetes-config.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export type Binding = V1RoleBinding | V1ClusterRoleBinding;

/** What Stint wants bound: the role of the config to one subject. */
export interface Want {
  roleKind: 'ClusterRole' | 'Role';
  roleName: string;
  subjectKind: 'User' | 'Group';
  account: string;
}

export function wantOf(config: KubernetesConfig, account: string): Want {
  return { roleKind: config.roleRef.kind, roleName: config.roleRef.name, subjectKind: config.subjectKind, account };
}

export function bindingBody(
  namespace: string | undefined,
  name: string,
  want: Want,
  marks: { requestLabel: string; expiresAt: Date; resourceId: string; principalId: string },
): Binding {
  const subject: RbacV1Subject = { kind: want.subjectKind, name: want.account, apiGroup: RBAC_GROUP };
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [REQUEST_LABEL]: marks.requestLabel },
      annotations: {
        [EXPIRES_ANNOTATION]: marks.expiresAt.toISOString(),
        [RESOURCE_ANNOTATION]: marks.resourceId,
        [PRINCIPAL_ANNOTATION]: marks.principalId,
      },
    },
    roleRef: { apiGroup: RBAC_GROUP, kind: want.roleKind, name: want.roleName },
    subjects: [subject],
  };
}

export function isStints(binding: Binding): boolean {
  return binding.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && binding.metadata.labels[REQUEST_LABEL] !== undefined;
}

/** True when the binding gives exactly this role to this subject (among its subjects). */
export function grantsWant(binding: Binding, want: Want): boolean {
  const ref = binding.roleRef;
  if (ref.apiGroup !== RBAC_GROUP || ref.kind !== want.roleKind || ref.name !== want.roleName) return false;
  return (binding.subjects ?? []).some((s) => s.kind === want.subjectKind && s.name === want.account && (s.apiGroup ?? RBAC_GROUP) === RBAC_GROUP);
}

/** The calls on one scope (a namespace's RoleBindings or the cluster's ClusterRoleBindings), retried per `policy`. */
export interface BindingApi {
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  read(name: string): Promise<Binding | undefined>;
  /** `undefined` when a binding of that name already exists (409 AlreadyExists). */
  create(body: Binding): Promise<Binding | undefined>;
  /** Deletes the object with this uid (a precondition: never another object that took the name); absent = done. */
  remove(name: string, uid: string): Promise<void>;
  /** JSON patch: sets the expiry annotation, only if the request label still says `requestLabel`. */
  patchExpiry(name: string, requestLabel: string, expiresAt: Date): Promise<Binding | undefined>;
  list(labelSelector?: string): Promise<Binding[]>;
}

export function bindingApi(api: RbacAuthorizationV1Api, namespace: string | undefined, policy: CallPolicy): BindingApi {
  const resource = namespace === undefined ? 'clusterrolebindings' : 'rolebindings';
  const call = (verb: CallDescription['verb'], name?: string): CallDescription => ({ verb, resource, namespace, name });
  const absent = () => undefined;
  // "~1" is "/" in a JSON pointer (RFC 6901).
  const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
  const patchOps = (requestLabel: string, expiresAt: Date) => [
    { op: 'test', path: `/metadata/labels/${pointer(REQUEST_LABEL)}`, value: requestLabel },
    { op: 'add', path: `/metadata/annotations/${pointer(EXPIRES_ANNOTATION)}`, value: expiresAt.toISOString() },
  ];

  if (namespace === undefined) {
    return {
      kind: 'ClusterRoleBinding',
      read: (name) => callApi(policy, call('get', name), (o) => api.readClusterRoleBinding({ name }, o), { 404: absent }),
      create: (body) => callApi<Binding | undefined>(policy, call('create', body.metadata?.name), (o) => api.createClusterRoleBinding({ body }, o), { 409: absent }),
      remove: async (name, uid) => {
        await callApi(policy, call('delete', name), (o) => api.deleteClusterRoleBinding({ name, body: { preconditions: { uid } } }, o), { 404: absent });
      },
      patchExpiry: (name, requestLabel, expiresAt) =>
        callApi(policy, call('patch', name), (o) => api.patchClusterRoleBinding({ name, body: patchOps(requestLabel, expiresAt) }, o), { 404: absent }),
      list: async (labelSelector) => (await callApi(policy, call('list'), (o) => api.listClusterRoleBinding({ labelSelector }, o))).items,
    };
  }
  return {
    kind: 'RoleBinding',
    read: (name) => callApi(policy, call('get', name), (o) => api.readNamespacedRoleBinding({ name, namespace }, o), { 404: absent }),
    create: (body) => callApi<Binding | undefined>(policy, call('create', body.metadata?.name), (o) => api.createNamespacedRoleBinding({ namespace, body }, o), { 409: absent }),
    remove: async (name, uid) => {
      await callApi(policy, call('delete', name), (o) => api.deleteNamespacedRoleBinding({ name, namespace, body: { preconditions: { uid } } }, o), { 404: absent });
    },
    patchExpiry: (name, requestLabel, expiresAt) =>
      callApi(policy, call('patch', name), (o) => api.patchNamespacedRoleBinding({ name, namespace, body: patchOps(requestLabel, expiresAt) }, o), { 404: absent }),
    list: async (labelSelector) => (await callApi(policy, call('list'), (o) => api.listNamespacedRoleBinding({ namespace, labelSelector }, o))).items,
  };
}
