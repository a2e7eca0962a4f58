/** The fake API server itself refuses what the real one refuses, so a provider bug cannot pass silently. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKubernetesApi } from '../../fakes/kubernetes-api.ts';

const RBAC = 'rbac.authorization.k8s.io';
const COLLECTION = `/apis/${RBAC}/v1/namespaces/team-a/rolebindings`;

function binding(name: string, overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'stint' } },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', name: 'alice', apiGroup: RBAC }],
    ...overrides,
  };
}

describe('fake Kubernetes API server', () => {
  let fake: FakeKubernetesApi;
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${fake.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    fake = await new FakeKubernetesApi().start();
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('answers 401 Status without the bearer token', async () => {
    const res = await send('GET', COLLECTION, undefined, { authorization: 'Bearer wrong' });
    expect(res).toMatchObject({ status: 401, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 } });
  });

  it('refuses invalid bodies with 422 Invalid naming the fields', async () => {
    const res = await send('POST', COLLECTION, binding('Bad_Name', { roleRef: { apiGroup: 'rbac', kind: 'ClusterRole', name: 'edit' }, metadata: { name: 'Bad_Name', labels: { 'stint.dev/request': 'x'.repeat(64) } } }));
    expect(res.status).toBe(422);
    const fields = ((res.body.details as { causes: Array<{ field: string }> }).causes).map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['metadata.name', 'roleRef.apiGroup', 'metadata.labels[stint.dev/request]']));
    expect((await send('POST', COLLECTION, binding('no-subject-group', { subjects: [{ kind: 'User', name: 'a' }] }))).status).toBe(422);
    expect((await send('POST', `/apis/${RBAC}/v1/clusterrolebindings`, binding('wrong-kind'))).status).toBe(422);
  });

  it('assigns uid/resourceVersion, answers AlreadyExists, and enforces resourceVersion and an immutable roleRef on PUT', async () => {
    const created = await send('POST', COLLECTION, binding('rb-1'));
    expect(created.status).toBe(201);
    const md = created.body.metadata as Record<string, string>;
    expect(md.uid).toBeTruthy();
    expect((await send('POST', COLLECTION, binding('rb-1'))).body).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    const stale = await send('PUT', `${COLLECTION}/rb-1`, binding('rb-1', { metadata: { name: 'rb-1', resourceVersion: '1' } }));
    expect(stale.body).toMatchObject({ reason: 'Conflict', code: 409 });
    const moved = await send('PUT', `${COLLECTION}/rb-1`, binding('rb-1', { metadata: { name: 'rb-1', resourceVersion: md.resourceVersion }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'admin' } }));
    expect(moved.status).toBe(422);
  });

  it('accepts the patch media types only, and applies a JSON patch with a test op', async () => {
    await send('POST', COLLECTION, binding('rb-2'));
    expect((await send('PATCH', `${COLLECTION}/rb-2`, [], { 'content-type': 'application/json' })).status).toBe(415);
    const ops = [
      { op: 'test', path: '/metadata/labels/app.kubernetes.io~1managed-by', value: 'someone-else' },
      { op: 'add', path: '/metadata/annotations', value: { a: 'b' } },
    ];
    expect((await send('PATCH', `${COLLECTION}/rb-2`, ops, { 'content-type': 'application/json-patch+json' })).status).toBe(422);
    ops[0]!.value = 'stint';
    const ok = await send('PATCH', `${COLLECTION}/rb-2`, ops, { 'content-type': 'application/json-patch+json' });
    expect((ok.body.metadata as Record<string, unknown>).annotations).toEqual({ a: 'b' });
  });

  it('filters lists by equality and existence selectors and refuses a malformed one', async () => {
    fake.seed('rolebindings', { ...binding('rb-3'), metadata: { name: 'rb-3', namespace: 'team-a', labels: { 'stint.dev/request': 'jit_1' } } });
    const names = async (selector: string) => ((await send('GET', `${COLLECTION}?labelSelector=${encodeURIComponent(selector)}`)).body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name);
    expect(await names('stint.dev/request')).toEqual(['rb-3']);
    expect(await names('stint.dev/request=jit_1,!other')).toEqual(['rb-3']);
    expect(await names('app.kubernetes.io/managed-by=stint')).not.toContain('rb-3');
    expect((await send('GET', `${COLLECTION}?labelSelector=${encodeURIComponent('a=b=c')}`)).status).toBe(400);
  });

  it('injects 429 with Retry-After, 500 and 403 as Status objects', async () => {
    fake.inject({ status: 429, retryAfter: 3 });
    const res = await fetch(`${fake.url}${COLLECTION}`, { headers: { authorization: `Bearer ${fake.token}` } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    fake.inject({ status: 500 });
    expect((await send('GET', COLLECTION)).body).toMatchObject({ reason: 'InternalError', code: 500 });
    fake.deny({ verb: 'delete' });
    expect((await send('DELETE', `${COLLECTION}/rb-3`)).body).toMatchObject({ reason: 'Forbidden', code: 403 });
    fake.allow();
  });
});
