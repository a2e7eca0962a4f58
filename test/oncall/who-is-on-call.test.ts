import { describe, expect, it } from 'vitest';
import { OpsgenieClient } from '../../src/oncall/opsgenie.ts';
import { PagerDutyClient } from '../../src/oncall/pagerduty.ts';
import { createOnCallLookup } from '../../src/oncall/who-is-on-call.ts';
import { PolicyHolder } from '../../src/policy/index.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { oncallPolicy, recordingLogger, recordingSleep, useFakePagers } from './oncall-fixture.ts';

const f = useFakePagers();

const AT = new Date('2026-04-08T12:00:00Z');

function lookup(options: { pagerduty?: boolean; opsgenie?: boolean; cacheMs?: number } = {}) {
  const clock = new FixedClock(AT);
  const { logger, lines } = recordingLogger();
  const { sleep } = recordingSleep();
  const l = createOnCallLookup({
    policy: new PolicyHolder(oncallPolicy()),
    clock,
    logger,
    ...(options.pagerduty !== false && { pagerduty: new PagerDutyClient({ token: f.pd.token, apiUrl: f.pd.url, sleep }) }),
    ...(options.opsgenie !== false && { opsgenie: new OpsgenieClient({ apiKey: f.og.apiKey, apiUrl: f.og.url, sleep }) }),
    ...(options.cacheMs !== undefined && { cacheMs: options.cacheMs }),
  });
  return { l, clock, lines };
}

describe('who is on call', () => {
  it('answers a built-in rotation from the policy, override included, without calling anyone', async () => {
    const { l } = lookup();
    expect(await l.who('sre-primary', AT)).toEqual(['carol']);
    expect(await l.who('sre-primary', new Date('2026-04-01T12:00:00Z'))).toEqual(['bob']);
    expect(f.pd.calls.length + f.og.calls.length).toBe(0);
  });

  it('maps PagerDuty emails to policy people case-insensitively, leaving out disabled people', async () => {
    f.pd.setOnCall('PSCHED1', [{ email: 'DAVE@example.com' }, { email: 'frank@example.com' }]);
    expect(await lookup().l.who('dba-pager', AT)).toEqual(['dave']);
  });

  it('leaves out an unknown email and logs it once', async () => {
    f.og.setOnCall('dba', ['carol@example.com', 'mallory@elsewhere.com']);
    const { l, lines, clock } = lookup({ cacheMs: 0 });
    expect(await l.who('dba-genie', AT)).toEqual(['carol']);
    clock.advance(1);
    expect(await l.who('dba-genie', AT)).toEqual(['carol']);
    expect(f.og.calls).toHaveLength(2);
    expect(lines.filter((line) => line.email === 'mallory@elsewhere.com')).toHaveLength(1);
  });

  it('asks the adapter once per rotation and minute while the cache lasts', async () => {
    f.pd.setOnCall('PSCHED1', [{ email: 'dave@example.com' }]);
    const { l, clock } = lookup();
    await Promise.all([l.who('dba-pager', AT), l.who('dba-pager', AT)]);
    await l.who('dba-pager', new Date(AT.getTime() + 30_000)); // same minute
    expect(f.pd.calls).toHaveLength(1);
    await l.who('dba-pager', new Date(AT.getTime() + 60_000)); // next minute
    expect(f.pd.calls).toHaveLength(2);
    clock.advance(60_001);
    await l.who('dba-pager', AT);
    expect(f.pd.calls).toHaveLength(3);
  });

  it('does not cache a failed look-up', async () => {
    f.pd.setOnCall('PSCHED1', [{ email: 'dave@example.com' }]);
    f.pd.throttle('/oncalls', 4, { status: 500 });
    const { l } = lookup();
    await expect(l.who('dba-pager', AT)).rejects.toThrow(/HTTP 500/);
    expect(await l.who('dba-pager', AT)).toEqual(['dave']);
  });

  it('refuses an external rotation whose adapter is not configured, naming the env var', async () => {
    await expect(lookup({ pagerduty: false }).l.who('dba-pager', AT)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('PAGERDUTY_TOKEN') });
    await expect(lookup({ opsgenie: false }).l.who('dba-genie', AT)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('OPSGENIE_API_KEY') });
  });

  it('refuses an unknown rotation suggesting a close name', async () => {
    await expect(lookup().l.who('sre-primery', AT)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('did you mean "sre-primary"') });
  });
});
