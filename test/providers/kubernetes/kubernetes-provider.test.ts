import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StintError } from '../../../src/domain/errors.ts';
import { bindingName } from '../../../src/providers/kubernetes/kubernetes-config.ts';
import { createKubernetesProvider } from '../../../src/providers/kubernetes/kubernetes-provider.ts';
import { openKubernetesTarget, requestId, type KubernetesTarget } from './kubernetes-target.ts';

const RBAC = 'rbac.authorization.k8s.io';

/** A binding an administrator made by hand (no Stint labels). */
function handMade(name: string, account: string, options: { namespace?: string; role?: string; labels?: Record<string, string> } = {}) {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: options.namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: { name, ...(options.namespace ? { namespace: options.namespace } : {}), ...(options.labels ? { labels: options.labels } : {}) },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: options.role ?? 'edit' },
    subjects: [{ kind: 'User', name: account, apiGroup: RBAC }],
  };
}

describe('kubernetes provider against the fake API server', () => {
  let t: KubernetesTarget;
  let accounts = 0;
  const account = () => `user${accounts++}@example.com`;
  const bindings = (ns = 'team-a') => t.fake.all('rolebindings', ns);
  const boundTo = (who: string, ns = 'team-a') => bindings(ns).filter((b) => (b.subjects as Array<{ name: string }>).some((s) => s.name === who));

  beforeAll(async () => {
    t = await openKubernetesTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    // Every request the real client sent was well-formed (auth, body, selector, media type).
    expect(t.fake.rejections).toEqual([]);
  });

  it('grants a RoleBinding, checks it present, revokes it, checks it absent', async () => {
    const target = t.target({ account: account() });
    const handle = await t.provider.grant(t.config(), target);
    expect(handle).toMatchObject({ kind: 'RoleBinding', namespace: 'team-a', requestId: target.requestId, preexisting: false });
    expect(boundTo(target.account!)).toHaveLength(1);
    expect(await t.provider.check(t.config(), handle)).toBe('present');
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    expect(boundTo(target.account!)).toHaveLength(0);
    expect(await t.provider.check(t.config(), handle)).toBe('absent');
  });

  it('labels and annotates the binding exactly as specified, with the subject and roleRef of the config', async () => {
    const target = t.target({ account: account(), expiresAt: new Date('2030-01-02T03:04:05.000Z') });
    const handle = await t.provider.grant(t.config(), target);
    const binding = t.fake.get('rolebindings', 'team-a', String(handle.name))!;
    const md = binding.metadata as Record<string, unknown>;
    expect(md.name).toMatch(/^stint-jit-[0-9a-z]+-[0-9a-f]{8}$/);
    expect(md.labels).toEqual({ 'app.kubernetes.io/managed-by': 'stint', 'stint.dev/request': target.requestId });
    expect(md.annotations).toEqual({ 'stint.dev/expires-at': '2030-01-02T03:04:05.000Z', 'stint.dev/resource': 'k8s-team-a', 'stint.dev/principal': 'alice' });
    expect(binding.roleRef).toEqual({ apiGroup: RBAC, kind: 'ClusterRole', name: 'edit' });
    expect(binding.subjects).toEqual([{ kind: 'User', name: target.account, apiGroup: RBAC }]);
  });

  it('returns the same handle and makes one binding when the same target is granted twice, or concurrently', async () => {
    const target = t.target({ account: account() });
    const first = await t.provider.grant(t.config(), target);
    expect(await t.provider.grant(t.config(), target)).toEqual(first);
    const other = t.target({ account: account() });
    const [a, b] = await Promise.all([t.provider.grant(t.config(), other), t.provider.grant(t.config(), other)]);
    expect(b).toEqual(a);
    expect(boundTo(target.account!)).toHaveLength(1);
    expect(boundTo(other.account!)).toHaveLength(1);
  });

  it('treats revoking an absent binding as success', async () => {
    const handle = await t.provider.grant(t.config(), t.target({ account: account() }));
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(t.config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('marks access an administrator already bound as preexisting, creates nothing and never removes it', async () => {
    const who = account();
    t.fake.seed('rolebindings', handMade('admin-grant-edit', who, { namespace: 'team-a' }));
    const handle = await t.provider.grant(t.config(), t.target({ account: who }));
    expect(handle.preexisting).toBe(true);
    expect(boundTo(who).map((b) => (b.metadata as { name: string }).name)).toEqual(['admin-grant-edit']);
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    expect(boundTo(who)).toHaveLength(1);
    expect(await t.provider.check(t.config(), handle)).toBe('present');
    expect(await t.provider.extend(t.config(), handle, new Date(Date.now() + 7200_000))).toEqual(handle);
  });

  it('does not count another role, another user or a cluster-wide binding as preexisting', async () => {
    const who = account();
    t.fake.seed('rolebindings', handMade('admin-view', who, { namespace: 'team-a', role: 'view' }));
    t.fake.seed('rolebindings', handMade('admin-other', 'someone@example.com', { namespace: 'team-a' }));
    t.fake.seed('rolebindings', handMade('admin-elsewhere', who, { namespace: 'team-b' }));
    const handle = await t.provider.grant(t.config(), t.target({ account: who }));
    expect(handle.preexisting).toBe(false);
  });

  it('keeps the access when another active request of the person still needs it', async () => {
    const who = account();
    const first = await t.provider.grant(t.config(), t.target({ account: who }));
    const second = await t.provider.grant(t.config(), t.target({ account: who }));
    expect(boundTo(who)).toHaveLength(2);
    // The other request's own binding keeps the access: this request's binding goes.
    await t.provider.revoke(t.config(), first, { stillNeeded: true });
    expect(await t.provider.check(t.config(), second)).toBe('present');
    expect(boundTo(who)).toHaveLength(1);
    // No other binding holds it: stillNeeded keeps this one.
    await t.provider.revoke(t.config(), second, { stillNeeded: true });
    expect(await t.provider.check(t.config(), second)).toBe('present');
    await t.provider.revoke(t.config(), second, { stillNeeded: false });
    expect(boundTo(who)).toHaveLength(0);
  });

  it('moves the expiry annotation on extend, leaving roleRef, subject and labels alone', async () => {
    const handle = await t.provider.grant(t.config(), t.target({ account: account() }));
    const before = structuredClone(t.fake.get('rolebindings', 'team-a', String(handle.name))!);
    const later = new Date('2031-05-06T07:08:09.000Z');
    expect(await t.provider.extend(t.config(), handle, later)).toEqual(handle);
    const after = t.fake.get('rolebindings', 'team-a', String(handle.name))!;
    const md = after.metadata as Record<string, Record<string, string>>;
    expect(md.annotations!['stint.dev/expires-at']).toBe('2031-05-06T07:08:09.000Z');
    expect(md.labels).toEqual((before.metadata as Record<string, unknown>).labels);
    expect(after.roleRef).toEqual(before.roleRef);
    expect(after.subjects).toEqual(before.subjects);
    expect(Number(md.resourceVersion)).toBeGreaterThan(Number((before.metadata as Record<string, string>).resourceVersion));
    const patch = t.fake.calls.filter((c) => c.method === 'PATCH').at(-1)!;
    expect(patch.contentType).toBe('application/json-patch+json');
  });

  it('refuses extend of a binding that is gone', async () => {
    const handle = await t.provider.grant(t.config(), t.target({ account: account() }));
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    await expect(t.provider.extend(t.config(), handle, new Date(Date.now() + 7200_000))).rejects.toThrow(/is gone/);
  });

  it('grants a ClusterRoleBinding when the resource has no namespace', async () => {
    const config = t.config({ namespace: undefined, roleRef: { kind: 'ClusterRole', name: 'view' }, subjectKind: 'Group' });
    const handle = await t.provider.grant(config, t.target({ account: 'oncall-sre' }));
    expect(handle).toMatchObject({ kind: 'ClusterRoleBinding', subjectKind: 'Group' });
    const binding = t.fake.get('clusterrolebindings', undefined, String(handle.name))!;
    expect(binding.subjects).toEqual([{ kind: 'Group', name: 'oncall-sre', apiGroup: RBAC }]);
    expect((binding.metadata as Record<string, unknown>).namespace).toBeUndefined();
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(await t.provider.check(config, handle)).toBe('absent');
  });

  it('binds a namespaced Role in its namespace', async () => {
    const config = t.config({ namespace: 'team-b', roleRef: { kind: 'Role', name: 'deployer' } });
    const handle = await t.provider.grant(config, t.target({ account: account() }));
    expect(t.fake.get('rolebindings', 'team-b', String(handle.name))!.roleRef).toEqual({ apiGroup: RBAC, kind: 'Role', name: 'deployer' });
  });

  it('lists Stint bindings for the orphan sweep, not hand-made ones nor other roles', async () => {
    const config = t.config({ namespace: 'sweep' });
    const mine = t.target({ account: account() });
    const handle = await t.provider.grant(config, mine);
    t.fake.seed('rolebindings', handMade('hand-made', 'bob@example.com', { namespace: 'sweep' }));
    t.fake.seed('rolebindings', handMade('helm-made', 'bob@example.com', { namespace: 'sweep', labels: { 'app.kubernetes.io/managed-by': 'Helm' } }));
    await t.provider.grant(t.config({ namespace: 'sweep', roleRef: { kind: 'ClusterRole', name: 'admin' } }), t.target({ account: account() }));
    const found = await t.provider.listGranted!(config);
    expect(found).toEqual([{ requestId: mine.requestId, handle }]);
    const list = t.fake.calls.filter((c) => c.verb === 'list').at(-1)!;
    expect(list.query.labelSelector).toBe('app.kubernetes.io/managed-by=stint,stint.dev/request');
    // What the sweep does with it: revoke through the returned handle.
    await t.provider.revoke(config, found[0]!.handle, { stillNeeded: false });
    expect(await t.provider.listGranted!(config)).toEqual([]);
    expect(t.fake.all('rolebindings', 'sweep').map((b) => (b.metadata as { name: string }).name).sort()).toEqual(expect.arrayContaining(['hand-made', 'helm-made']));
  });

  it('refuses a person without accounts.kubernetes, naming the policy field', async () => {
    const err = await t.provider.grant(t.config(), t.target({ account: undefined })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StintError);
    expect((err as StintError).message).toMatch(/accounts\.kubernetes/);
  });

  it('neither adopts nor deletes a binding of someone else that holds the deterministic name', async () => {
    const target = t.target({ account: account() });
    const first = await t.provider.grant(t.config(), target);
    // An administrator replaced it with their own object of the same name.
    t.fake.seed('rolebindings', handMade(String(first.name), 'mallory@example.com', { namespace: 'team-a' }));
    await expect(t.provider.grant(t.config(), target)).rejects.toThrow(/exists but is not this grant's/);
    await t.provider.revoke(t.config(), first, { stillNeeded: false });
    expect(t.fake.get('rolebindings', 'team-a', String(first.name))).toBeDefined();
    expect(await t.provider.check(t.config(), first)).toBe('absent');
  });

  it('checks that a binding reported AlreadyExists on create is its own before taking it', async () => {
    const target = t.target({ account: account() });
    const name = bindingName(target.requestId, target.resourceId);
    // Someone else creates an object of that name between Stint's read and its create.
    t.fake.beforeNext('create', () => t.fake.seed('rolebindings', handMade(name, 'mallory@example.com', { namespace: 'team-a' })));
    await expect(t.provider.grant(t.config(), target)).rejects.toThrow(/exists but is not this grant's/);
    expect(t.fake.calls.filter((c) => c.verb === 'create').at(-1)!.status).toBe(409);
  });

  it("sends the kubeconfig's bearer token on every call and never puts it in handles or errors", async () => {
    const before = t.fake.calls.length;
    const handle = await t.provider.grant(t.config(), t.target({ account: account() }));
    const calls = t.fake.calls.slice(before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.authorization === `Bearer ${t.fake.token}`)).toBe(true);
    expect(JSON.stringify(handle)).not.toContain(t.fake.token);
    t.fake.deny({ verb: 'create' });
    const denied = await t.provider.grant(t.config(), t.target({ account: account() })).catch((e: unknown) => e as Error);
    t.fake.allow();
    expect(String(denied)).not.toContain(t.fake.token);
    expect(JSON.stringify(denied)).not.toContain(t.fake.token);
    // A wrong token: 401, the message says what to renew and quotes no token.
    const wrong = createKubernetesProvider({ env: { KC: t.fake.kubeconfig('stale-token-0000') }, baseDelayMs: 1 });
    const unauthorized = await wrong.grant(t.config({ kubeconfig: 'env:KC' }), t.target({ account: account() })).catch((e: unknown) => e as Error);
    t.fake.rejections.length = 0;
    expect(unauthorized.message).toMatch(/rejected Stint's credentials \(401\)/);
    expect(unauthorized.message).not.toContain('stale-token-0000');
  });

  it('reads the kubeconfig from a file: reference', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stint-k8s-'));
    writeFileSync(join(dir, 'kubeconfig'), t.fake.kubeconfig());
    const handle = await t.provider.grant(t.config({ kubeconfig: `file:${join(dir, 'kubeconfig')}` }), t.target({ account: account() }));
    expect(await t.provider.check(t.config(), handle)).toBe('present');
    rmSync(dir, { recursive: true });
  });

  it('names a missing kubeconfig context', async () => {
    await expect(t.provider.grant(t.config({ context: 'prod' }), t.target({ account: account() }))).rejects.toThrow(/no context "prod"/);
  });
});
