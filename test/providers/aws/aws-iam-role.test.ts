import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData } from '../../../src/core/ports.ts';
import { addRole, sessionDenied } from '../../fakes/aws-server.ts';
import { openAwsTarget, type AwsTarget } from './aws-target.ts';

describe('aws provider, mode iam-role', () => {
  let t: AwsTarget;
  let roles = 0;
  beforeAll(async () => {
    t = await openAwsTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    expect(t.fake.malformed).toEqual([]);
  });

  /** A fresh role per test (its inline policies are the state under test). */
  const newRole = (maxSessionDuration = 3600) => {
    const name = `stint-target-${roles++}`;
    const role = addRole(t.fake.iam, name, maxSessionDuration);
    return { role, config: t.iamRole(name) };
  };
  const inMinutes = (minutes: number) => new Date(t.clock.now.getTime() + minutes * 60_000);
  const lastSession = () => t.fake.iam.sessions.at(-1)!;

  it('grants by checking the role exists and recording a per-request SourceIdentity; nothing changes on the role', async () => {
    const { role, config } = newRole();
    const target = t.target('ignored');
    const handle = await t.provider.grant(config, target);
    expect(handle).toMatchObject({ mode: 'iam-role', roleArn: role.arn, sourceIdentity: `stint-${target.requestId}`, preexisting: false });
    expect(t.fake.callsOf('GetRole').at(-1)?.params.RoleName).toBe(role.name);
    expect(role.policies.size).toBe(0);
    expect(await t.provider.check(config, handle)).toBe('present');
  });

  it('assumes a task-narrowed grant with its inline session policy (issue 12); an unnarrowed one with none', async () => {
    const { config } = newRole();
    const narrowing = [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::exports/*'] }];
    const handle = await t.provider.grant(config, { ...t.target(undefined, undefined, inMinutes(30)), narrowing });
    await t.provider.credential!(config, handle);
    expect(JSON.parse(lastSession().policy!)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::exports/*'] }] });
    const plain = await t.provider.grant(config, t.target(undefined, undefined, inMinutes(30)));
    await t.provider.credential!(config, plain);
    expect(lastSession().policy).toBeUndefined();
  });

  it('returns the same handle when the same target is granted twice', async () => {
    const { config } = newRole();
    const target = t.target(undefined);
    expect(await t.provider.grant(config, target)).toEqual(await t.provider.grant(config, target));
  });

  it('refuses a role that does not exist with POLICY_INVALID naming roleArn', async () => {
    const config = { ...newRole().config, roleArn: 'arn:aws:iam::123456789012:role/gone' };
    const error = await t.provider.grant(config, t.target(undefined)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'POLICY_INVALID' });
    expect((error as Error).message).toMatch(/role\/gone was not found by iam:GetRole.*fix roleArn/);
  });

  it('mints credentials with STS AssumeRole carrying the SourceIdentity, for the grant’s remaining time', async () => {
    const { role, config } = newRole();
    const handle = await t.provider.grant(config, t.target(undefined, undefined, inMinutes(50)));
    const minted = await t.provider.credential!(config, handle);
    const session = lastSession();
    expect(session).toMatchObject({ roleArn: role.arn, sourceIdentity: handle.sourceIdentity, durationSeconds: 3000 });
    const secret = JSON.parse(minted.password);
    expect(secret).toMatchObject({ Version: 1, AccessKeyId: session.accessKeyId });
    expect(secret.SecretAccessKey).toBeTruthy();
    expect(secret.SessionToken).toBeTruthy();
    expect(minted.username).toBe(`arn:aws:sts::123456789012:assumed-role/${role.name}/${session.sessionName}`);
    // The hint may be shown on cards: it never carries any part of the credential set.
    for (const part of [secret.AccessKeyId, secret.SecretAccessKey, secret.SessionToken]) expect(minted.hint).not.toContain(part);
    expect(minted.hint).not.toMatch(/at least 15 minutes/);
  });

  it('asks STS for at least 900 s when the grant ends sooner, and says so in the hint', async () => {
    const { config } = newRole();
    const end = inMinutes(5);
    const handle = await t.provider.grant(config, t.target(undefined, undefined, end));
    const minted = await t.provider.credential!(config, handle);
    expect(lastSession().durationSeconds).toBe(900);
    expect(minted.hint).toMatch(/at least 15 minutes/);
    expect(minted.expiresAt).toEqual(end);
  });

  it('asks STS for no more than the role’s MaxSessionDuration', async () => {
    const { config } = newRole(7200);
    const handle = await t.provider.grant(config, t.target(undefined, undefined, inMinutes(8 * 60)));
    await t.provider.credential!(config, handle);
    expect(lastSession().durationSeconds).toBe(7200);
  });

  it('extends the grant’s end, which lengthens the sessions minted afterwards', async () => {
    const { config } = newRole(43_200);
    const handle = await t.provider.grant(config, t.target(undefined, undefined, inMinutes(30)));
    const extended = await t.provider.extend(config, handle, inMinutes(120));
    expect(extended.expiresAt).toBe(inMinutes(120).toISOString());
    await t.provider.credential!(config, extended);
    expect(lastSession().durationSeconds).toBe(7200);
  });

  it('revokes with an inline deny on exactly this request’s SourceIdentity; other requests’ sessions are not cut', async () => {
    const { role, config } = newRole();
    const target = t.target(undefined);
    const mine = await t.provider.grant(config, target);
    const other = await t.provider.grant(config, t.target(undefined));
    await t.provider.revoke(config, mine, { stillNeeded: false });
    const document = JSON.parse(role.policies.get(`stint-revoke-${target.requestId}`)!);
    expect(document.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:SourceIdentity': `stint-${target.requestId}` } } }),
    ]);
    expect(sessionDenied(role, mine.sourceIdentity as string)).toBe(true);
    expect(sessionDenied(role, other.sourceIdentity as string)).toBe(false);
    expect(await t.provider.check(config, mine)).toBe('absent');
    expect(await t.provider.check(config, other)).toBe('present');
  });

  it('revokes twice without error, leaving one deny policy', async () => {
    const { role, config } = newRole();
    const handle = await t.provider.grant(config, t.target(undefined));
    await t.provider.revoke(config, handle, { stillNeeded: false });
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(role.policies.size).toBe(1);
    expect(await t.provider.check(config, handle)).toBe('absent');
  });

  it('still cuts this request’s sessions when another request of the person needs the role (stillNeeded): that one mints its own', async () => {
    const { role, config } = newRole();
    const mine = await t.provider.grant(config, t.target(undefined));
    const other = await t.provider.grant(config, t.target(undefined));
    await t.provider.revoke(config, mine, { stillNeeded: true });
    expect(sessionDenied(role, mine.sourceIdentity as string)).toBe(true);
    expect(await t.provider.check(config, other)).toBe('present');
  });

  it('deletes other requests’ denies once no session they cut can be valid (MaxSessionDuration + 1 h), keeping recent ones', async () => {
    const { role, config } = newRole(3600);
    const old = await t.provider.grant(config, t.target(undefined));
    const recent = await t.provider.grant(config, t.target(undefined));
    const latest = await t.provider.grant(config, t.target(undefined));
    const saved = t.clock.now;
    try {
      await t.provider.revoke(config, old, { stillNeeded: false });
      t.clock.now = new Date(saved.getTime() + 90 * 60_000);
      await t.provider.revoke(config, recent, { stillNeeded: false });
      t.clock.now = new Date(saved.getTime() + 121 * 60_000);
      await t.provider.revoke(config, latest, { stillNeeded: false });
    } finally {
      t.clock.now = saved;
    }
    expect([...role.policies.keys()].sort()).toEqual([recent.denyPolicy, latest.denyPolicy].sort());
  });

  it('lifts its own deny when a grant is retried after a rollback of the same request', async () => {
    const { role, config } = newRole();
    const target = t.target(undefined);
    const handle = await t.provider.grant(config, target);
    await t.provider.revoke(config, handle, { stillNeeded: false });
    await t.provider.grant(config, target);
    expect(role.policies.size).toBe(0);
    expect(await t.provider.check(config, handle)).toBe('present');
  });

  it('reports absent once the grant has ended', async () => {
    const { config } = newRole();
    const handle = await t.provider.grant(config, t.target(undefined, undefined, inMinutes(10)));
    const saved = t.clock.now;
    t.clock.now = inMinutes(11);
    try {
      expect(await t.provider.check(config, handle)).toBe('absent');
      await expect(t.provider.credential!(config, handle)).rejects.toThrow(/has ended/);
    } finally {
      t.clock.now = saved;
    }
  });

  it('treats a deleted role as revoked (absent is success)', async () => {
    const { role, config } = newRole();
    const handle = await t.provider.grant(config, t.target(undefined));
    t.fake.iam.roles.delete(role.name);
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(await t.provider.check(config, handle)).toBe('absent');
  });

  it('retries throttled IAM and STS calls (Throttling) and succeeds', async () => {
    const { config } = newRole();
    t.fake.throttleNext(2, 'GetRole');
    const handle = await t.provider.grant(config, t.target(undefined));
    expect(t.fake.callsOf('GetRole').slice(-3).map((c) => c.outcome)).toEqual(['Throttling', 'Throttling', '200']);
    t.fake.throttleNext(1, 'AssumeRole');
    await t.provider.credential!(config, handle);
    expect(t.fake.callsOf('AssumeRole').slice(-2).map((c) => c.outcome)).toEqual(['Throttling', '200']);
  });

  it('fails at once, naming the permission, when IAM denies the deny policy', async () => {
    const { config } = newRole();
    const handle: GrantHandleData = await t.provider.grant(config, t.target(undefined));
    t.fake.deny('PutRolePolicy');
    try {
      const error = await t.provider.revoke(config, handle, { stillNeeded: false }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FORBIDDEN' });
      expect((error as Error).message).toContain('iam:PutRolePolicy');
      expect(t.fake.callsOf('PutRolePolicy').at(-1)?.outcome).toBe('AccessDenied');
    } finally {
      t.fake.allow('PutRolePolicy');
    }
  });

  it('describes the role and the 15-minute STS floor for cards', () => {
    const { role, config } = newRole();
    expect(t.provider.describe(config)).toContain(role.arn);
    expect(t.provider.describe(config)).toMatch(/15 minutes/);
  });
});
