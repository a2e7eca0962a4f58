import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createPagers } from '../../src/oncall/index.ts';
import { PolicyHolder } from '../../src/policy/index.ts';
import { oncallPolicy, recordingLogger } from './oncall-fixture.ts';

const build = (env: Record<string, string>) => createPagers(loadConfig(env).pagers, recordingLogger().logger, { policy: new PolicyHolder(oncallPolicy()) });

describe('createPagers', () => {
  it('builds nothing when no pager secret is set', () => {
    const pagers = build({});
    expect(pagers).toMatchObject({ pagerduty: undefined, opsgenie: undefined, notifier: undefined });
    expect(pagers.describe()).toEqual([]);
  });

  it('looks up with a PagerDuty token alone but pages only with a routing key', () => {
    expect(build({ PAGERDUTY_TOKEN: 't' }).notifier).toBeUndefined();
    expect(build({ PAGERDUTY_TOKEN: 't' }).describe()).toEqual(['pagerduty (look-ups)']);
    expect(build({ PAGERDUTY_ROUTING_KEY: 'r' }).notifier).toBeDefined();
  });

  it('pages and looks up through Opsgenie with its API key', () => {
    const pagers = build({ OPSGENIE_API_KEY: 'k' });
    expect(pagers.notifier).toBeDefined();
    expect(pagers.describe()).toEqual(['opsgenie']);
  });

  it('stops start-up naming a pager URL that is not a URL', () => {
    expect(() => loadConfig({ PAGERDUTY_EVENTS_URL: 'events.pagerduty' })).toThrow(/PAGERDUTY_EVENTS_URL/);
  });
});
