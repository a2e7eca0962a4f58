/**
 * The orphan sweep's listing (`Provider.listGranted`): the `stint-*` local accounts and sudoers files on the
 * host, each with the request id Stint wrote into it, as handles revoke can follow. Group memberships carry no
 * such marker on the account, so they are not listed (drift sweep and timers end them).
 */
import type { GrantHandleData } from '../../core/ports.ts';
import type { LinuxConfig } from './linux-config.ts';
import type { LinuxHandle } from './linux-handle.ts';
import { listLocalAccounts } from './local-account.ts';
import type { HostSession } from './ssh-session.ts';
import { listSudoers } from './sudoers.ts';

export async function listHostGrants(session: HostSession, config: LinuxConfig): Promise<Array<{ requestId: string; handle: GrantHandleData }>> {
  const host = `${config.host}:${config.port}`;
  const byShortId = new Map<string, LinuxHandle>();
  const base = (shortId: string, requestId: string, account: string): LinuxHandle => ({
    kind: 'linux',
    host,
    requestId,
    shortId,
    account,
    ephemeral: null,
    elevation: null,
    launch: false,
    expiresAt: new Date(0).toISOString(),
  });
  for (const { name, requestId } of await listLocalAccounts(session)) {
    const shortId = name.slice('stint-'.length);
    if (/^[0-9a-f]{16}$/.test(shortId)) byShortId.set(shortId, { ...base(shortId, requestId, name), ephemeral: 'local' });
  }
  for (const { path, requestId, account } of await listSudoers(session)) {
    const shortId = path.slice(path.lastIndexOf('stint-') + 'stint-'.length);
    const handle = byShortId.get(shortId) ?? base(shortId, requestId, account);
    byShortId.set(shortId, { ...handle, elevation: { method: 'sudo', file: path } });
  }
  return [...byShortId.values()].map((handle) => ({ requestId: handle.requestId, handle }));
}
