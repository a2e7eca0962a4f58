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

  it('turns OIDC re-login on with an issuer, a client id and the public URL its callback is under', () => {
    const oidc = { STINT_OIDC_ISSUER: 'https://login.example.com/tenant', STINT_OIDC_CLIENT_ID: 'stint' };
    expect(() => loadConfig(oidc)).toThrow(/STINT_OIDC_ISSUER is set, so STINT_PUBLIC_URL must be too/);
    expect(() => loadConfig({ STINT_OIDC_ISSUER: oidc.STINT_OIDC_ISSUER, STINT_PUBLIC_URL: 'https://stint.example.com' })).toThrow(/STINT_OIDC_CLIENT_ID/);
    expect(loadConfig({ ...oidc, STINT_PUBLIC_URL: 'https://stint.example.com/' }).oidc).toEqual({
      issuer: 'https://login.example.com/tenant',
      clientId: 'stint',
      claim: 'email',
      redirectUri: 'https://stint.example.com/auth/oidc/callback',
    });
    expect(loadConfig({ ...oidc, STINT_PUBLIC_URL: 'https://s.example.com', STINT_OIDC_CLAIM: 'preferred_username' }).oidc?.claim).toBe('preferred_username');
    expect(() => loadConfig({ ...oidc, STINT_PUBLIC_URL: 'https://s.example.com', STINT_OIDC_CLAIM: 'no spaces' })).toThrow(/STINT_OIDC_CLAIM/);
    expect(loadConfig({}).oidc).toBeUndefined();
  });
});
