import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLdapProvider } from '../../../src/providers/ldap/ldap-provider.ts';
import { startTcpProxy } from '../../support/tcp-proxy.ts';
import { freePort } from '../../support/test-redis.ts';
import { GROUPS, PEOPLE, startLdapRig, uniqueId, type LdapRig } from './ldap-setup.ts';

/** Established TCP connections to 127.0.0.1:`port` (client side), from /proc/net/tcp (state 01). */
async function establishedTo(port: number): Promise<number> {
  const lines = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1);
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return lines.filter((line) => {
    const [, , remote, state] = line.trim().split(/\s+/);
    return remote?.endsWith(`:${hexPort}`) && state === '01';
  }).length;
}

let rig: LdapRig;
beforeAll(async () => {
  rig = await startLdapRig();
});
afterAll(async () => {
  await rig?.stop();
});

const group = `cn=dba,${GROUPS}`;
const account = () => `uid=${uniqueId('u')},${PEOPLE}`;

async function caught(work: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await work;
  } catch (error) {
    return error as Error & { code: string };
  }
  throw new Error('expected a failure');
}

describe('ldap connections', () => {
  it('grants over ldaps:// trusting the CA in tlsCaFile', async () => {
    const config = rig.config({ url: rig.slapd.ldapsUrl, tlsCaFile: rig.slapd.caFile, group });
    const handle = await rig.provider.grant(config, rig.target(account()));
    expect(await rig.provider.check(config, handle)).toBe('present');
    await rig.provider.revoke(config, handle, { stillNeeded: false });
  });

  it('grants over ldap:// upgraded with StartTLS', async () => {
    const config = rig.config({ startTls: true, tlsCaFile: rig.slapd.caFile, group });
    const handle = await rig.provider.grant(config, rig.target(account()));
    expect(await rig.provider.check(config, handle)).toBe('present');
    await rig.provider.revoke(config, handle, { stillNeeded: false });
  });

  it('fails closed on a certificate no configured CA signed, saying to set tlsCaFile', async () => {
    const error = await caught(rig.provider.check(rig.config({ url: rig.slapd.ldapsUrl, group }), { mode: 'membership', group, attribute: 'member', value: account(), grantId: '0123456789abcdef', preexisting: false }));
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringMatching(/^ldap: the TLS handshake with ldaps:\/\/127\.0\.0\.1:\d+ failed \(.+\); set tlsCaFile/) });
  });

  it('fails closed when StartTLS meets a certificate no configured CA signed', async () => {
    const error = await caught(rig.provider.grant(rig.config({ startTls: true, group }), rig.target(account())));
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('set tlsCaFile') });
  });

  it('says when the server offers no StartTLS, instead of binding in clear', async () => {
    const plain = await startLdapRig({ tls: false });
    try {
      const error = await caught(plain.provider.grant(plain.config({ startTls: true, group }), plain.target(account())));
      expect(error).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringMatching(/^ldap: ldap:\/\/127\.0\.0\.1:\d+ refused StartTLS \(.*\); configure TLS on the server, or use ldaps:\/\/$/s) });
    } finally {
      await plain.stop();
    }
  });

  it('names an unreadable tlsCaFile', async () => {
    const error = await caught(rig.provider.grant(rig.config({ url: rig.slapd.ldapsUrl, tlsCaFile: '/nonexistent/ca.pem', group }), rig.target(account())));
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: 'ldap provider: tlsCaFile /nonexistent/ca.pem cannot be read (ENOENT); check the path and its permissions' });
  });

  it('refuses a wrong bind password at once, without quoting it', async () => {
    const wrong = 'not-the-password-42';
    const provider = createLdapProvider({ env: { WRONG: wrong }, retry: { attempts: 3, baseMs: 10_000 } });
    const started = Date.now();
    const error = await caught(provider.grant(rig.config({ bindPassword: 'env:WRONG', group }), rig.target(account())));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('refused the bind of cn=stint,ou=services,dc=stint,dc=test (invalid credentials)') });
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(wrong);
  });

  it('names the unset environment variable of the bind password', async () => {
    const provider = createLdapProvider({ env: {} });
    await expect(provider.grant(rig.config({ group }), rig.target(account()))).rejects.toThrow('environment variable STINT_LDAP_PASSWORD is not set or empty');
  });

  it('retries a directory that does not answer, then says UNAVAILABLE', async () => {
    const url = `ldap://127.0.0.1:${await freePort()}`;
    const provider = createLdapProvider({ env: rig.env, retry: { attempts: 3, baseMs: 10, maxMs: 20 } });
    const error = await caught(provider.grant(rig.config({ url, group }), rig.target(account())));
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: `ldap: ${url} did not answer (ECONNREFUSED) after 3 attempt(s); check that the directory is up and reachable from Stint` });
  });

  it('closes every connection it opened, after successes and refusals alike', async () => {
    const handle = await rig.provider.grant(rig.config({ group }), rig.target(account()));
    await rig.provider.revoke(rig.config({ group }), handle, { stillNeeded: false });
    await caught(rig.provider.grant(rig.config({ group: `cn=locked,${GROUPS}` }), rig.target(account())));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await establishedTo(Number(new URL(rig.slapd.url).port))).toBe(0);
  });

  it('retries a reset connection and succeeds once the directory answers again', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(rig.slapd.url).port) }, 'refuse');
    proxy.onRefuse = (refused) => {
      if (refused === 2) proxy.mode = 'forward';
    };
    try {
      const provider = createLdapProvider({ env: rig.env, retry: { attempts: 3, baseMs: 10, maxMs: 20 } });
      const config = rig.config({ url: proxy.rewrite(rig.slapd.url), group });
      const handle = await provider.grant(config, rig.target(account()));
      expect(proxy.refused).toBe(2);
      expect(await rig.provider.check(rig.config({ group }), handle)).toBe('present');
      await rig.provider.revoke(rig.config({ group }), handle, { stillNeeded: false });
    } finally {
      await proxy.close();
    }
  });

  it('keeps the bind password out of every handle', async () => {
    const membership = await rig.provider.grant(rig.config({ group }), rig.target(account()));
    const ephemeral = await rig.provider.grant(rig.config({ mode: 'ephemeral', base_distinguished_name: PEOPLE }), rig.target(undefined));
    expect(JSON.stringify([membership, ephemeral])).not.toContain(rig.slapd.stintPassword);
    await rig.provider.revoke(rig.config({ group }), membership, { stillNeeded: false });
    await rig.provider.revoke(rig.config({ mode: 'ephemeral', base_distinguished_name: PEOPLE }), ephemeral, { stillNeeded: false });
  });
});
