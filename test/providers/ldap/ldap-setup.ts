/**
 * One throw-away slapd per test file, the ldap provider bound as `cn=stint` (what a deployment gives Stint), and
 * helpers that read the directory as its root to check what the provider did.
 */
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createLdapProvider } from '../../../src/providers/ldap/ldap-provider.ts';
import { GROUPS, PEOPLE, STINT_DN, startSlapd, type Slapd } from '../../support/slapd.ts';

export interface LdapRig {
  slapd: Slapd;
  provider: Provider;
  env: Record<string, string>;
  /** An ldap provider block bound as cn=stint, with `extra` keys. */
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  /** The values of `attribute` on `dn`, read as the rootdn ([] when the entry or attribute is absent). */
  values(dn: string, attribute: string): Promise<string[]>;
  target(account: string | undefined, requestId?: string): GrantTarget;
  stop(): Promise<void>;
}

let counter = 0;
export const uniqueId = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function startLdapRig(options: { sshKeys?: boolean; tls?: boolean } = {}): Promise<LdapRig> {
  const slapd = await startSlapd(options);
  const env = { STINT_LDAP_PASSWORD: slapd.stintPassword };
  const provider = createLdapProvider({ env, retry: { attempts: 2, baseMs: 10, maxMs: 20 } });
  return {
    slapd,
    provider,
    env,
    config: (extra = {}) => ({ type: 'ldap', url: slapd.url, bindDn: STINT_DN, bindPassword: 'env:STINT_LDAP_PASSWORD', timeoutMs: 3000, ...extra }),
    async values(dn, attribute) {
      const admin = await slapd.admin();
      try {
        const found = await admin.search(dn, { scope: 'base', attributes: [attribute] }).catch(() => ({ searchEntries: [] }));
        const value = found.searchEntries[0]?.[attribute];
        return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
      } finally {
        await admin.unbind();
      }
    },
    target: (account, requestId = uniqueId('req')) => ({ requestId, resourceId: 'ldap-res', principalId: 'alice', account, expiresAt: new Date(Date.now() + 3_600_000) }),
    stop: () => slapd.stop(),
  };
}

export { GROUPS, PEOPLE, STINT_DN };
