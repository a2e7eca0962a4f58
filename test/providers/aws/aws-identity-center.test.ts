import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StintError } from '../../../src/domain/errors.ts';
import { createAwsProvider } from '../../../src/providers/aws/aws-provider.ts';
import { ACCOUNT_ID, PERMISSION_SET_ARN, assignmentKey } from '../../fakes/aws-server.ts';
import { openAwsTarget, type AwsTarget } from './aws-target.ts';

describe('aws provider, mode identity-center', () => {
  let t: AwsTarget;
  beforeAll(async () => {
    t = await openAwsTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    // Every request the SDK sent was well-formed and correctly signed for its service and region.
    expect(t.fake.malformed).toEqual([]);
  });

  const config = () => t.identityCenter();
  const assigned = (userId: string) => t.fake.sso.assignments.has(assignmentKey(PERMISSION_SET_ARN, ACCOUNT_ID, userId));
  const creations = () => t.fake.callsOf('CreateAccountAssignment').filter((c) => c.outcome === '200').length;

  it('assigns the permission set to the user named by accounts.aws, waiting for the async request to succeed', async () => {
    const { userName, userId } = t.newUser();
    const handle = await t.provider.grant(config(), t.target(userName));
    expect(handle).toMatchObject({ mode: 'identity-center', userId, accountId: ACCOUNT_ID, permissionSetArn: PERMISSION_SET_ARN, preexisting: false });
    expect(assigned(userId)).toBe(true);
    expect(t.fake.callsOf('GetUserId').at(-1)?.params.AlternateIdentifier).toEqual({ UniqueAttribute: { AttributePath: 'userName', AttributeValue: userName } });
    const create = t.fake.callsOf('CreateAccountAssignment').at(-1)!;
    expect(create.params).toMatchObject({ TargetType: 'AWS_ACCOUNT', PrincipalType: 'USER', PrincipalId: userId, TargetId: ACCOUNT_ID });
    expect(t.fake.callsOf('DescribeAccountAssignmentCreationStatus').length).toBeGreaterThan(0);
    expect(await t.provider.check(config(), handle)).toBe('present');
  });

  it('uses accounts.aws directly when it already is an Identity Store user id', async () => {
    const { userId } = t.newUser();
    const before = t.fake.callsOf('GetUserId').length;
    await t.provider.grant(config(), t.target(userId));
    expect(t.fake.callsOf('GetUserId')).toHaveLength(before);
    expect(assigned(userId)).toBe(true);
  });

  it('returns the same handle when the same target is granted twice, with one assignment and no preexisting claim', async () => {
    const { userName, userId } = t.newUser();
    const target = t.target(userName);
    const before = creations();
    const first = await t.provider.grant(config(), target);
    const second = await t.provider.grant(config(), target);
    expect(second).toEqual(first);
    expect(second.preexisting).toBe(false);
    expect(creations() - before).toBe(1);
    expect([...t.fake.sso.assignments].filter((k) => k.endsWith(userId))).toHaveLength(1);
  });

  it('revokes the assignment it made; check then says absent, and a second revoke is fine', async () => {
    const { userName, userId } = t.newUser();
    const handle = await t.provider.grant(config(), t.target(userName));
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(assigned(userId)).toBe(false);
    expect(t.fake.callsOf('DescribeAccountAssignmentDeletionStatus').length).toBeGreaterThan(0);
    expect(await t.provider.check(config(), handle)).toBe('absent');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
  });

  it('records an assignment the user already had as preexisting, and revoke keeps it', async () => {
    const { userName, userId } = t.newUser();
    t.fake.sso.assignments.add(assignmentKey(PERMISSION_SET_ARN, ACCOUNT_ID, userId));
    const before = creations();
    const handle = await t.provider.grant(config(), t.target(userName));
    expect(handle.preexisting).toBe(true);
    expect(creations()).toBe(before);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(assigned(userId)).toBe(true);
  });

  it('keeps the assignment when another active request still needs it (stillNeeded)', async () => {
    const { userName, userId } = t.newUser();
    const handle = await t.provider.grant(config(), t.target(userName));
    await t.provider.revoke(config(), handle, { stillNeeded: true });
    expect(assigned(userId)).toBe(true);
  });

  it('treats a second Stint request for the same user as Stint-owned, and removes the assignment after the last one', async () => {
    const { userName, userId } = t.newUser();
    const a = await t.provider.grant(config(), t.target(userName));
    const b = await t.provider.grant(config(), t.target(userName));
    expect(b.preexisting).toBe(false);
    // Even without Stint's store (a rollback while it is down), the other request's marker keeps the assignment.
    await t.provider.revoke(config(), a, { stillNeeded: false });
    expect(assigned(userId)).toBe(true);
    await t.provider.revoke(config(), b, { stillNeeded: false });
    expect(assigned(userId)).toBe(false);
  });

  it('finds assignments beyond the first page of ListAccountAssignments', async () => {
    const users = [t.newUser(), t.newUser(), t.newUser(), t.newUser()];
    for (const u of users) t.fake.sso.assignments.add(assignmentKey(PERMISSION_SET_ARN, ACCOUNT_ID, u.userId));
    const { userName } = t.newUser();
    const handle = await t.provider.grant(config(), t.target(userName));
    expect(await t.provider.check(config(), handle)).toBe('present');
    expect(t.fake.callsOf('ListAccountAssignments').some((c) => c.params.NextToken)).toBe(true);
  });

  it('retries throttled calls (ThrottlingException) and succeeds', async () => {
    const { userName, userId } = t.newUser();
    t.fake.throttleNext(2, 'CreateAccountAssignment');
    await t.provider.grant(config(), t.target(userName));
    expect(t.fake.callsOf('CreateAccountAssignment').slice(-3).map((c) => c.outcome)).toEqual(['ThrottlingException', 'ThrottlingException', '200']);
    expect(assigned(userId)).toBe(true);
  });

  it('retries a 500 from the service', async () => {
    const { userName, userId } = t.newUser();
    t.fake.failNext(1, 'ListAccountAssignments', 'InternalServerException');
    await t.provider.grant(config(), t.target(userName));
    expect(assigned(userId)).toBe(true);
  });

  it('honours the configured maxAttempts: 2 attempts cannot outlast 2 throttles, 3 can', async () => {
    const { userName, userId } = t.newUser();
    t.fake.throttleNext(2, 'GetUserId');
    await expect(t.provider.grant(t.identityCenter({ maxAttempts: 2 }), t.target(userName))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(t.fake.callsOf('GetUserId').slice(-2).map((c) => c.outcome)).toEqual(['ThrottlingException', 'ThrottlingException']);
    t.fake.throttleNext(2, 'GetUserId');
    await t.provider.grant(t.identityCenter({ maxAttempts: 3 }), t.target(userName));
    expect(assigned(userId)).toBe(true);
  });

  it('gives up after maxAttempts of throttling with an UNAVAILABLE error', async () => {
    const { userName } = t.newUser();
    t.fake.throttleNext(4, 'GetUserId');
    const error = await t.provider.grant(config(), t.target(userName)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StintError);
    expect((error as StintError).code).toBe('UNAVAILABLE');
    expect((error as StintError).message).toMatch(/throttled/);
  });

  it('retries a ConflictException (an operation on the same assignment in flight)', async () => {
    const { userName, userId } = t.newUser();
    t.fake.failNext(2, 'CreateAccountAssignment', 'ConflictException');
    await t.provider.grant(config(), t.target(userName));
    expect(assigned(userId)).toBe(true);
  });

  it('fails with AWS’s FailureReason when the assignment request ends FAILED', async () => {
    const { userName } = t.newUser();
    t.fake.sso.failNextCreations.push('Received a 404 status error: No policy attached to the permission set');
    const target = t.target(userName);
    await expect(t.provider.grant(config(), target)).rejects.toThrow(/CreateAccountAssignment .* failed: Received a 404 status error/);
    // No handle reached the caller: the marker is taken back, or it would count as another holder forever.
    expect((await t.provider.listGranted!(config())).map((g) => g.requestId)).not.toContain(target.requestId);
  });

  it('fails at once, naming the permission, when AWS denies a call', async () => {
    const { userName } = t.newUser();
    t.fake.deny('CreateAccountAssignment');
    const before = t.fake.callsOf('CreateAccountAssignment').length;
    try {
      const error = await t.provider.grant(config(), t.target(userName)).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FORBIDDEN' });
      expect((error as Error).message).toContain('sso:CreateAccountAssignment');
      expect(t.fake.callsOf('CreateAccountAssignment').length - before).toBe(1);
    } finally {
      t.fake.allow('CreateAccountAssignment');
    }
  });

  it('refuses a person without accounts.aws, naming the policy key', async () => {
    await expect(t.provider.grant(config(), t.target(undefined))).rejects.toThrow(/accounts\.aws/);
  });

  it('refuses an unknown Identity Center user name with POLICY_INVALID', async () => {
    const error = await t.provider.grant(config(), t.target('nobody@example.com')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'POLICY_INVALID' });
    expect((error as Error).message).toMatch(/accounts\.aws/);
  });

  it('extends by returning the handle (the assignment has no expiry of its own)', async () => {
    const { userName } = t.newUser();
    const handle = await t.provider.grant(config(), t.target(userName));
    expect(await t.provider.extend(config(), handle, new Date(Date.now() + 7200_000))).toEqual(handle);
  });

  it('lists its grants by the markers on the permission set (orphan sweep)', async () => {
    const { userName, userId } = t.newUser();
    const target = t.target(userName);
    const handle = await t.provider.grant(config(), target);
    const listed = await t.provider.listGranted!(config());
    expect(listed).toContainEqual({ requestId: target.requestId, handle });
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect((await t.provider.listGranted!(config())).map((g) => g.handle.userId)).not.toContain(userId);
  });

  it('describes the permission set and account for cards', () => {
    expect(t.provider.describe(config())).toBe(`AWS Identity Center: permission set ps-abcdef1234567890 on account ${ACCOUNT_ID}`);
  });

  it('is answered by the fake only when signed for the right region (a fake that accepts anything proves nothing)', async () => {
    const { userName } = t.newUser();
    await expect(t.provider.grant(t.identityCenter({ region: 'us-east-1' }), t.target(userName))).rejects.toThrow();
    expect(t.fake.malformed.splice(0)).toEqual([expect.stringMatching(/credential scope us-east-1\/identitystore but this is eu-west-1\/identitystore/)]);
  });

  it('is answered by the fake only when the SigV4 signature is right (wrong secret → SignatureDoesNotMatch)', async () => {
    const { userName } = t.newUser();
    const forger = createAwsProvider({ env: { AWS_TEST_KEY_ID: t.fake.accessKeyId, AWS_TEST_SECRET: 'not-the-secret' }, retryBaseDelayMs: 1 });
    await expect(forger.grant(config(), t.target(userName))).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/refused Stint's credential \(SignatureDoesNotMatch\)/) });
    expect(t.fake.malformed.splice(0)).toEqual([expect.stringMatching(/GetUserId: SignatureDoesNotMatch/)]);
  });
});
