/** The aws provider under the grant use cases: activation, revocation and a permanent AWS error ending GRANT_FAILED. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../../src/core/activate-grant.ts';
import { createRequest } from '../../../src/core/create-request.ts';
import type { GrantPorts } from '../../../src/core/ports.ts';
import { revealCredential } from '../../../src/core/reveal-credential.ts';
import { revokeGrant } from '../../../src/core/revoke-grant.ts';
import { StintError } from '../../../src/domain/errors.ts';
import { ACCOUNT_ID, PERMISSION_SET_ARN, addRole, assignmentKey } from '../../fakes/aws-server.ts';
import { coreHarness, person } from '../../support/core-harness.ts';
import { POLICY_YAML } from '../../support/policy-fixture.ts';
import { openAwsTarget, type AwsTarget } from './aws-target.ts';

describe('aws provider through activateGrant and revokeGrant', () => {
  let t: AwsTarget;
  let alice: { userName: string; userId: string };
  beforeAll(async () => {
    t = await openAwsTarget();
    alice = t.newUser();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The test policy plus an auto-approved `aws-prod` resource; alice's Identity Center user name unless `noAccount`. */
  function harness(options: { noAccount?: boolean } = {}) {
    const resource = { id: 'aws-prod', provider: t.identityCenter(), maxDuration: '1h', workflow: 'auto-only' };
    let yaml = POLICY_YAML.replace('resources:\n', `resources:\n  - ${JSON.stringify(resource)}\n`);
    if (!options.noAccount) yaml = yaml.replace('groups: [sre] }', `groups: [sre], accounts: { aws: "${alice.userName}" } }`);
    const h = coreHarness(yaml);
    const grantPorts: GrantPorts = {
      ...h.ports,
      providers: {
        get: (type) => {
          if (type !== 'aws') throw new StintError('POLICY_INVALID', `unknown provider type "${type}"`);
          return t.provider;
        },
      },
    };
    return { ...h, grantPorts };
  }

  async function approvedAwsRequest(h: ReturnType<typeof harness>) {
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['aws-prod'], duration: '10m', reason: 'incident' }, h.ports);
    expect(request.status).toBe('APPROVED');
    return request;
  }

  const assigned = () => t.fake.sso.assignments.has(assignmentKey(PERMISSION_SET_ARN, ACCOUNT_ID, alice.userId));

  it('activates with a real assignment and revokes it', async () => {
    const h = harness();
    const request = await approvedAwsRequest(h);
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('ACTIVE');
    expect(assigned()).toBe(true);
    await revokeGrant(request.id, 'revoked', 'erin', h.grantPorts);
    expect((await h.store.getRequest(request.id))?.status).toBe('REVOKED');
    expect(assigned()).toBe(false);
  });

  it('ends GRANT_FAILED, audited and told to the requester, when AWS denies the assignment', async () => {
    const h = harness();
    const request = await approvedAwsRequest(h);
    t.fake.deny('CreateAccountAssignment');
    try {
      const result = await activateGrant(request.id, h.grantPorts);
      expect(result.status).toBe('GRANT_FAILED');
    } finally {
      t.fake.allow('CreateAccountAssignment');
    }
    const audit = h.store.state.audit.at(-1)!;
    expect(audit).toMatchObject({ action: 'grant.failed' });
    expect(String(audit.data.reason)).toMatch(/FORBIDDEN: aws: sso:CreateAccountAssignment was denied/);
    const told = h.notifier.sent.find((n) => n.kind === 'grant.failed');
    expect(told).toBeDefined();
    expect(assigned()).toBe(false);
    // The marker written before the denied call was rolled back too.
    expect([...(t.fake.sso.tags.get(PERMISSION_SET_ARN)?.keys() ?? [])].some((k) => k.includes(request.id))).toBe(false);
  });

  it('ends GRANT_FAILED naming accounts.aws when the person has no AWS identity in the policy', async () => {
    const h = harness({ noAccount: true });
    const request = await approvedAwsRequest(h);
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('GRANT_FAILED');
    expect(String(h.store.state.audit.at(-1)!.data.reason)).toMatch(/accounts\.aws/);
  });

  it('narrows an iam-role request to a session policy end to end, and refuses to narrow an Identity Center assignment (issue 12)', async () => {
    addRole(t.fake.iam, 'stint-narrowed', 3600);
    const roleResource = { id: 'aws-exports', provider: t.iamRole('stint-narrowed'), maxDuration: '1h', workflow: 'auto-only' };
    const base = harness();
    const yaml = POLICY_YAML.replace('resources:\n', `resources:\n  - ${JSON.stringify(roleResource)}\n  - ${JSON.stringify({ id: 'aws-prod', provider: t.identityCenter(), maxDuration: '1h', workflow: 'auto-only' })}\n`);
    const h = { ...base, ...coreHarness(yaml) };
    h.clock.set(new Date(t.clock.now)); // the provider's clock: the grant's expiry is counted on it
    const grantPorts: GrantPorts = { ...h.ports, providers: base.grantPorts.providers };
    const narrowing = 's3:GetObject on arn:aws:s3:::exports/*';
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['aws-exports'], duration: '10m', reason: 'export', narrowing }, h.ports);
    expect(request.narrowing).toEqual([{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::exports/*'] }]);
    expect((await activateGrant(request.id, grantPorts)).status).toBe('ACTIVE');
    await revealCredential(person('alice'), request.id, grantPorts);
    expect(JSON.parse(t.fake.iam.sessions.at(-1)!.policy!).Statement).toEqual([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::exports/*'] }]);

    const refused = await createRequest(person('alice'), { identityId: 'alice', scopes: ['aws-prod'], duration: '10m', reason: 'x', narrowing }, h.ports).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'INVALID_BODY', message: expect.stringMatching(/^aws-prod cannot be narrowed/) });
    const tables = await createRequest(person('alice'), { identityId: 'alice', scopes: ['aws-exports'], duration: '10m', reason: 'x', narrowing: 'SELECT on orders.items' }, h.ports).catch((e: unknown) => e);
    expect(tables).toMatchObject({ code: 'INVALID_BODY', message: expect.stringMatching(/is not an AWS action/) });
  });
});
