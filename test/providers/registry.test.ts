import { describe, expect, it } from 'vitest';
import { createProviderRegistry } from '../../src/providers/registry.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { createPostgresProvider } from '../../src/providers/postgres/postgres-provider.ts';
import type { PolicyResource } from '../../src/policy/model.ts';

const resource = (id: string, provider: Record<string, unknown>): PolicyResource =>
  ({ id, provider: { mode: 'membership', ...provider }, maxDurationSec: 3600, minDurationSec: 60, workflow: 'default' }) as PolicyResource;

describe('provider registry', () => {
  const registry = createProviderRegistry([createNoopProvider(), createPostgresProvider({ env: {} })]);

  it('returns the provider of a known type', () => {
    expect(registry.get('postgres').type).toBe('postgres');
  });

  it('refuses an unknown type, naming the known ones', () => {
    expect(() => registry.get('oracle')).toThrow(expect.objectContaining({ code: 'POLICY_INVALID', message: expect.stringContaining('noop, postgres') }));
  });

  it('reports every invalid resource with its id', () => {
    const problems = registry.validateResources({
      resources: [
        resource('ok', { type: 'postgres', connection: 'env:X', role: 'reader' }),
        resource('prod-db', { type: 'postgres', connection: 'env:X', role: 'orders"; DROP ROLE x; --' }),
        resource('legacy', { type: 'oracle' }),
      ],
    });
    expect(problems.map((problem) => [problem.resourceId, problem.unknownType])).toEqual([
      ['prod-db', false],
      ['legacy', true],
    ]);
  });

  it('throws one POLICY_INVALID listing every problem', () => {
    const policy = { resources: [resource('a', { type: 'oracle' }), resource('b', { type: 'postgres', role: 'x' })] };
    expect(() => registry.assertResourcesValid(policy)).toThrow(expect.objectContaining({ message: expect.stringMatching(/resource a:.*\n.*resource b:/s) }));
  });
});

describe('noop provider', () => {
  const target = { requestId: 'r1', resourceId: 'dev', principalId: 'alice', account: undefined, expiresAt: new Date(0) };

  it('reports a grant present until it is revoked', async () => {
    const noop = createNoopProvider();
    const handle = await noop.grant({}, target);
    expect(await noop.check({}, handle)).toBe('present');
    await noop.revoke({}, handle, { stillNeeded: false });
    expect(await noop.check({}, handle)).toBe('absent');
  });

  it('keeps a grant that is still needed', async () => {
    const noop = createNoopProvider();
    const handle = await noop.grant({}, target);
    await noop.revoke({}, handle, { stillNeeded: true });
    expect(noop.activeGrants()).toEqual(['r1/dev']);
  });
});

describe('checkPolicy', () => {
  const registry = createProviderRegistry([createNoopProvider()]);
  const resource = (id: string, provider: Record<string, unknown>) =>
    ({ id, provider: { mode: 'membership', ...provider }, maxDurationSec: 3600, minDurationSec: 30, workflow: 'w' }) as PolicyResource;

  it('returns resources of types this build lacks as warnings', () => {
    expect(registry.checkPolicy({ resources: [resource('agents', { type: 'token' })] }).map((p) => p.resourceId)).toEqual(['agents']);
  });

  it('refuses a config a known provider rejects, naming the resource', () => {
    const withPostgres = createProviderRegistry([createPostgresProvider()]);
    const refused = { resources: [resource('db', { type: 'postgres', connection: 'env:X', role: 'a"; DROP ROLE x; --' })] };
    expect(() => withPostgres.checkPolicy(refused)).toThrow(/resource db:/);
  });
});
