/**
 * What the fake Kubernetes API server checks in a RoleBinding / ClusterRoleBinding body, as the real API
 * server's validation does (apimachinery name/label rules, rbac's roleRef and subject rules), and its label
 * selector syntax. Each problem is a `field: message` cause of a 422 Invalid Status.
 */

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export interface Cause {
  field: string;
  message: string;
}

export type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isSubdomain(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name ≤ 63 qualified characters. */
function validKey(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const name = parts.at(-1)!;
  if (parts.length === 2 && !isSubdomain(parts[0]!)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function validateBinding(body: Obj, expected: { kind: string; namespace: string | undefined }): Cause[] {
  const causes: Cause[] = [];
  const bad = (field: string, message: string) => causes.push({ field, message });
  if (body.apiVersion !== `${RBAC_GROUP}/v1`) bad('apiVersion', `must be ${RBAC_GROUP}/v1`);
  if (body.kind !== expected.kind) bad('kind', `must be ${expected.kind} on this path`);
  const metadata = body.metadata;
  if (!isObj(metadata)) {
    bad('metadata', 'Required value');
    return causes;
  }
  if (typeof metadata.name !== 'string' || !isSubdomain(metadata.name)) bad('metadata.name', 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "-" or "."');
  if (expected.namespace === undefined && metadata.namespace !== undefined && metadata.namespace !== '') bad('metadata.namespace', 'not allowed on this type');
  if (expected.namespace !== undefined && metadata.namespace !== undefined && metadata.namespace !== expected.namespace) bad('metadata.namespace', 'does not match the namespace of the request');
  for (const [field, map] of [['metadata.labels', metadata.labels], ['metadata.annotations', metadata.annotations]] as const) {
    if (map === undefined) continue;
    if (!isObj(map)) {
      bad(field, 'must be a map of strings');
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      if (!validKey(key)) bad(`${field}[${key}]`, 'invalid key');
      if (typeof value !== 'string') bad(`${field}[${key}]`, 'value must be a string');
      else if (field === 'metadata.labels' && (value.length > 63 || !LABEL_VALUE.test(value))) bad(`${field}[${key}]`, 'invalid label value: at most 63 characters, alphanumeric at both ends');
    }
  }
  const roleRef = body.roleRef;
  if (!isObj(roleRef)) bad('roleRef', 'Required value');
  else {
    if (roleRef.apiGroup !== RBAC_GROUP) bad('roleRef.apiGroup', `supported values: "${RBAC_GROUP}"`);
    const kinds = expected.kind === 'RoleBinding' ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    if (typeof roleRef.kind !== 'string' || !kinds.includes(roleRef.kind)) bad('roleRef.kind', `supported values: ${kinds.join(', ')}`);
    if (typeof roleRef.name !== 'string' || roleRef.name === '') bad('roleRef.name', 'Required value');
  }
  const subjects = body.subjects ?? [];
  if (!Array.isArray(subjects)) bad('subjects', 'must be a list');
  else
    subjects.forEach((s: unknown, i) => {
      const at = `subjects[${i}]`;
      if (!isObj(s)) return bad(at, 'must be an object');
      if (typeof s.name !== 'string' || s.name === '') bad(`${at}.name`, 'Required value');
      if (s.kind === 'ServiceAccount') {
        if (s.apiGroup !== undefined && s.apiGroup !== '') bad(`${at}.apiGroup`, 'must be empty for ServiceAccount');
      } else if (s.kind === 'User' || s.kind === 'Group') {
        if (s.apiGroup !== RBAC_GROUP) bad(`${at}.apiGroup`, `supported values: "${RBAC_GROUP}"`);
      } else bad(`${at}.kind`, 'supported values: "ServiceAccount", "User", "Group"');
    });
  return causes;
}

type Requirement = { key: string; op: '=' | '!=' | 'exists' | '!exists'; value?: string };

/** Parses the equality/existence subset of label selectors (`a=b,c!=d,e,!f`); undefined when malformed. */
export function parseSelector(selector: string): Requirement[] | undefined {
  const requirements: Requirement[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === '') return undefined;
    const m = /^(!?)([^=!\s]+)(?:\s*(==|=|!=)\s*([^=!,\s]*))?$/.exec(part);
    if (!m || !validKey(m[2]!)) return undefined;
    const [, not, key, op, value] = m;
    if (op === undefined) requirements.push({ key: key!, op: not ? '!exists' : 'exists' });
    else if (not || (value !== '' && !LABEL_VALUE.test(value!))) return undefined;
    else requirements.push({ key: key!, op: op === '!=' ? '!=' : '=', value: value! });
  }
  return requirements;
}

export function matchesSelector(labels: Record<string, string> | undefined, requirements: Requirement[]): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    if (r.op === 'exists') return r.key in l;
    if (r.op === '!exists') return !(r.key in l);
    if (r.op === '=') return l[r.key] === r.value;
    return l[r.key] !== r.value;
  });
}

/** RFC 6902 add/replace/remove/test on a copy of `doc`; throws a message on a bad op or a failed test. */
export function applyJsonPatch(doc: Obj, ops: unknown): Obj {
  if (!Array.isArray(ops)) throw new Error('a JSON patch must be an array of operations');
  const out = structuredClone(doc);
  for (const op of ops) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string' || !op.path.startsWith('/')) throw new Error('malformed JSON patch operation');
    const tokens = op.path.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = tokens.pop()!;
    let parent: unknown = out;
    for (const t of tokens) {
      parent = isObj(parent) ? parent[t] : Array.isArray(parent) ? parent[Number(t)] : undefined;
      if (parent === undefined) throw new Error(`JSON patch path ${op.path}: missing parent`);
    }
    if (!isObj(parent)) throw new Error(`JSON patch path ${op.path}: parent is not an object`);
    if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`testing value ${op.path} failed`);
    } else if (op.op === 'add') parent[last] = op.value;
    else if (op.op === 'replace' || op.op === 'remove') {
      if (!(last in parent)) throw new Error(`JSON patch ${op.op} of missing ${op.path}`);
      if (op.op === 'replace') parent[last] = op.value;
      else delete parent[last];
    } else throw new Error(`unsupported JSON patch op ${op.op}`);
  }
  return out;
}

/** RFC 7386 merge patch. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(doc) ? { ...doc } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}
