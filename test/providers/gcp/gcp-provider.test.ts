import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, PROJECT, ROLE, inOneHour, openGcpTarget, type GcpTarget } from './gcp-target.ts';

describe('gcp provider against the IAM contract fake', () => {
  let t: GcpTarget;
  beforeAll(async () => {
    t = await openGcpTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    t.fake.seed(PROJECT);
    t.fake.clearFaults();
    t.fake.denyAll(false);
    t.fake.calls.length = 0;
  });

  const stintBindings = () => t.fake.bindings(PROJECT).filter((b) => b.condition?.title?.startsWith('stint-'));

  it('adds one conditional binding titled stint-<request id> whose condition is exactly the expiry in UTC', async () => {
    const target = t.target({ expiresAt: new Date('2031-05-06T07:08:09.999Z') });
    const handle = await t.provider.grant(t.config(), target);
    expect(handle).toEqual({ resource: PROJECT, role: ROLE, member: ALICE, title: `stint-${target.requestId}`, preexisting: false });
    expect(t.fake.bindings(PROJECT)).toEqual([
      {
        role: ROLE,
        members: [ALICE],
        condition: {
          title: `stint-${target.requestId}`,
          description: `Stint JIT grant ${target.requestId}, expires 2031-05-06T07:08:09Z`,
          expression: 'request.time < timestamp("2031-05-06T07:08:09Z")',
        },
      },
    ]);
    const set = t.fake.calls.find((c) => c.verb === 'setIamPolicy')!;
    expect(set.body).toMatchObject({ policy: { version: 3, etag: expect.any(String) } });
    expect(t.fake.calls.find((c) => c.verb === 'getIamPolicy')!.body).toEqual({ options: { requestedPolicyVersion: 3 } });
  });

  it('gives access that ends at the expiry on Google’s side, with no call from Stint', async () => {
    const expiresAt = inOneHour();
    await t.provider.grant(t.config(), t.target({ expiresAt }));
    expect(t.fake.hasAccess(PROJECT, ROLE, ALICE, new Date())).toBe(true);
    expect(t.fake.hasAccess(PROJECT, ROLE, ALICE, new Date(expiresAt.getTime() + 1000))).toBe(false);
  });

  it('checks present after grant and absent after revoke, which removes the binding', async () => {
    const handle = await t.provider.grant(t.config(), t.target());
    expect(await t.provider.check(t.config(), handle)).toBe('present');
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    expect(await t.provider.check(t.config(), handle)).toBe('absent');
    expect(t.fake.bindings(PROJECT)).toEqual([]);
  });

  it('adds one binding when the same target is granted twice, and returns the same handle', async () => {
    const target = t.target();
    const first = await t.provider.grant(t.config(), target);
    const second = await t.provider.grant(t.config(), target);
    expect(second).toEqual(first);
    expect(stintBindings()).toHaveLength(1);
    expect(t.fake.calls.filter((c) => c.verb === 'setIamPolicy')).toHaveLength(1);
  });

  it('adds one binding for two concurrent grants of the same target (the loser re-reads after 409)', async () => {
    const target = t.target();
    const [first, second] = await Promise.all([t.provider.grant(t.config(), target), t.provider.grant(t.config(), target)]);
    expect(second).toEqual(first);
    expect(stintBindings()).toHaveLength(1);
  });

  it('treats revoking twice as success', async () => {
    const handle = await t.provider.grant(t.config(), t.target());
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(t.config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
    expect(t.fake.calls.filter((c) => c.verb === 'setIamPolicy')).toHaveLength(2);
  });

  it('records access held before Stint (an unconditional binding) as preexisting and never removes it', async () => {
    t.fake.seed(PROJECT, [{ role: ROLE, members: ['group:sre@example.com', ALICE] }]);
    const handle = await t.provider.grant(t.config(), t.target());
    expect(handle.preexisting).toBe(true);
    expect(t.fake.calls.filter((c) => c.verb === 'setIamPolicy')).toHaveLength(0);
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    expect(t.fake.bindings(PROJECT)).toEqual([{ role: ROLE, members: ['group:sre@example.com', ALICE] }]);
    expect(await t.provider.check(t.config(), handle)).toBe('present');
  });

  it('does not count a conditional binding of someone else’s as preexisting', async () => {
    t.fake.seed(PROJECT, [{ role: ROLE, members: [ALICE], condition: { title: 'office-hours', expression: 'request.time.getHours("UTC") < 18' } }]);
    const handle = await t.provider.grant(t.config(), t.target());
    expect(handle.preexisting).toBe(false);
    expect(t.fake.bindings(PROJECT)).toHaveLength(2);
  });

  it('keeps the person’s access while another active request still needs it: only this request’s binding goes', async () => {
    const first = await t.provider.grant(t.config(), t.target());
    const second = await t.provider.grant(t.config(), t.target());
    await t.provider.revoke(t.config(), first, { stillNeeded: true });
    expect(t.fake.hasAccess(PROJECT, ROLE, ALICE, new Date())).toBe(true);
    expect(await t.provider.check(t.config(), second)).toBe('present');
    expect(stintBindings().map((b) => b.condition!.title)).toEqual([second.title]);
  });

  it('leaves the other bindings of the policy alone on grant and revoke', async () => {
    const others = [
      { role: 'roles/owner', members: ['user:root@example.com'] },
      { role: ROLE, members: ['user:bob@example.com'], condition: { title: 'stint-OTHER', expression: 'request.time < timestamp("2040-01-01T00:00:00Z")' } },
    ];
    t.fake.seed(PROJECT, others);
    const handle = await t.provider.grant(t.config(), t.target());
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    expect(t.fake.bindings(PROJECT)).toEqual(others);
  });

  it('extends by rewriting the condition to the new expiry', async () => {
    const target = t.target({ expiresAt: new Date('2031-01-01T00:00:00Z') });
    const handle = await t.provider.grant(t.config(), target);
    expect(await t.provider.extend(t.config(), handle, new Date('2031-01-01T02:30:00Z'))).toEqual(handle);
    expect(stintBindings()).toEqual([
      {
        role: ROLE,
        members: [ALICE],
        condition: {
          title: handle.title,
          description: `Stint JIT grant ${target.requestId}, expires 2031-01-01T02:30:00Z`,
          expression: 'request.time < timestamp("2031-01-01T02:30:00Z")',
        },
      },
    ]);
    const later = t.providerWith({ now: () => new Date('2031-01-01T01:00:00Z') });
    expect(await later.check(t.config(), handle)).toBe('present');
  });

  it('refuses to extend a binding removed outside Stint (it does not quietly re-grant)', async () => {
    const handle = await t.provider.grant(t.config(), t.target());
    t.fake.seed(PROJECT);
    await expect(t.provider.extend(t.config(), handle, inOneHour())).rejects.toThrow(/is gone/);
    expect(t.fake.bindings(PROJECT)).toEqual([]);
  });

  it('checks absent once the binding’s expiry has passed, though the binding is still there', async () => {
    const handle = await t.provider.grant(t.config(), t.target({ expiresAt: new Date('2031-01-01T00:00:00Z') }));
    const after = t.providerWith({ now: () => new Date('2031-01-01T00:00:01Z') });
    expect(await after.check(t.config(), handle)).toBe('absent');
    expect(stintBindings()).toHaveLength(1);
  });

  it('retries a throttled call (429 RESOURCE_EXHAUSTED) and succeeds', async () => {
    t.fake.failNext(2, 'throttle', 'setIamPolicy');
    t.fake.failNext(1, 'throttle', 'getIamPolicy');
    const handle = await t.provider.grant(t.config(), t.target());
    expect(t.fake.calls.map((c) => c.status)).toEqual([429, 200, 429, 429, 200]);
    expect(await t.provider.check(t.config(), handle)).toBe('present');
  });

  it('retries 503 UNAVAILABLE, and a write whose answer was lost is not applied twice', async () => {
    t.fake.failNext(1, 'unavailable', 'getIamPolicy');
    t.fake.failNext(1, 'lost', 'setIamPolicy');
    await t.provider.grant(t.config(), t.target());
    expect(stintBindings()).toHaveLength(1);
    expect(t.fake.calls.map((c) => c.status)).toEqual([503, 200, 503, 409, 200]);
  });

  it('retries a concurrent modification between its read and its write, and neither change is lost', async () => {
    const theirs = { role: 'roles/logging.viewer', members: ['user:carol@example.com'] };
    t.fake.changeBeforeNextSet((bindings) => [...bindings, theirs]);
    const handle = await t.provider.grant(t.config(), t.target());
    expect(t.fake.calls.map((c) => `${c.verb} ${c.status}`)).toEqual(['getIamPolicy 200', 'setIamPolicy 409', 'getIamPolicy 200', 'setIamPolicy 200']);
    expect(t.fake.bindings(PROJECT)).toEqual([theirs, expect.objectContaining({ role: ROLE, members: [ALICE] })]);
    expect(await t.provider.check(t.config(), handle)).toBe('present');
  });

  it('gives up after maxAttempts throttled calls with UNAVAILABLE, so the job retries later', async () => {
    t.fake.failNext(3, 'throttle');
    await expect(t.provider.grant(t.config({ maxAttempts: 3 }), t.target())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(t.fake.calls).toHaveLength(3);
  });

  it('fails at once on 403 PERMISSION_DENIED, saying which permissions Stint needs', async () => {
    t.fake.denyAll(true);
    const error = await t.provider.grant(t.config(), t.target()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('resourcemanager.projects.setIamPolicy') });
    expect(t.fake.calls).toHaveLength(1);
  });

  it('refuses a person without accounts.gcp, naming the key', async () => {
    await expect(t.provider.grant(t.config(), t.target({ account: undefined }))).rejects.toThrow(/accounts\.gcp/);
    expect(t.fake.calls).toHaveLength(0);
  });

  it('grants to a group or a service account as given in accounts.gcp', async () => {
    const handle = await t.provider.grant(t.config(), t.target({ account: 'group:SRE@example.com' }));
    const robotTarget = t.target({ account: 'ci@proj-1.iam.gserviceaccount.com' });
    const robot = await t.provider.grant(t.config(), robotTarget);
    expect([handle.member, robot.member]).toEqual(['group:sre@example.com', 'serviceAccount:ci@proj-1.iam.gserviceaccount.com']);
    expect(await t.provider.grant(t.config(), robotTarget)).toEqual(robot);
    expect(stintBindings()).toHaveLength(2);
  });

  it('reads the key from an env: reference, and from GOOGLE_APPLICATION_CREDENTIALS when no credentials are given', async () => {
    const fromEnv = t.providerWith({ env: { GCP_KEY: t.key.json } });
    const handle = await fromEnv.grant(t.config({ credentials: 'env:GCP_KEY' }), t.target());
    const adc = t.providerWith({ env: { GOOGLE_APPLICATION_CREDENTIALS: t.keyPath } });
    const config = t.config();
    delete config.credentials;
    expect(await adc.check(config, handle)).toBe('present');
  });

  it('reuses its access token across calls', async () => {
    const fresh = t.providerWith({});
    const before = t.fake.tokensIssued();
    const handle = await fresh.grant(t.config(), t.target());
    await fresh.check(t.config(), handle);
    await fresh.revoke(t.config(), handle, { stillNeeded: false });
    expect(t.fake.tokensIssued() - before).toBe(1);
  });

  it('fails with FORBIDDEN and no IAM call when the token endpoint rejects the key', async () => {
    const { generateServiceAccountKey } = await import('../../fakes/gcp-token.ts');
    const stranger = generateServiceAccountKey('stranger@stint-admin.iam.gserviceaccount.com', t.fake.tokenUrl);
    const provider = t.providerWith({ env: { KEY: stranger.json } });
    await expect(provider.grant(t.config({ credentials: 'env:KEY' }), t.target())).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(t.fake.calls.map((c) => `${c.verb} ${c.status}`)).toEqual(['token 400']);
  });

  it('keeps no secret in the handle or in errors', async () => {
    const handle = await t.provider.grant(t.config(), t.target());
    t.fake.denyAll(true);
    const error = (await t.provider.check(t.config(), handle).catch((e: unknown) => e)) as Error;
    for (const text of [JSON.stringify(handle), error.message]) {
      expect(text).not.toMatch(/PRIVATE KEY|ya29\.|Bearer/);
    }
  });

  it('lists the bindings it made, by their stint- titles, for the orphan sweep', async () => {
    t.fake.seed(PROJECT, [{ role: ROLE, members: ['user:bob@example.com'] }]);
    const target = t.target();
    const handle = await t.provider.grant(t.config(), target);
    expect(await t.provider.listGranted!(t.config())).toEqual([{ requestId: target.requestId, handle }]);
  });
});
