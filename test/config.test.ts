import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('runs with no configuration at all on the embedded defaults', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, dataDir: '.stint', policyPath: 'stint.yaml', databaseUrl: undefined, slack: { enabled: false } });
  });

  it('stops on a bad value, naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrowError(/DATABASE_URL/);
  });

  it('trusts no proxy by default, and reads STINT_TRUST_PROXY as true, a hop count or proxy addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ STINT_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ STINT_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ STINT_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16']);
    expect(() => loadConfig({ STINT_TRUST_PROXY: 'the load balancer' })).toThrowError(/STINT_TRUST_PROXY/);
  });

  it('refuses a bootstrap admin token shorter than 16 characters', () => {
    expect(() => loadConfig({ STINT_ADMIN_TOKEN: 'short' })).toThrowError(/STINT_ADMIN_TOKEN/);
  });

  it('turns a surface on only when its credentials are all there', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }).slack.enabled).toBe(false);
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack.enabled).toBe(true);
  });
});
