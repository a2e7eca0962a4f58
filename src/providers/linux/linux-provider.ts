/**
 * The `linux` provider (DESIGN.md section 7): over SSH as a provisioning account, an ephemeral account, an
 * elevation (sudo entry, group, role) of the person's own account, or both; `stint ssh` launch grants get a key
 * authorized per session (`authorizeLaunch`). Each operation opens one SSH connection and closes it.
 */
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, Provider } from '../../core/ports.ts';
import { describeLinux } from './describe-linux.ts';
import { directoryOf, type DirectoryAccounts, type DirectoryTarget } from './directory.ts';
import { assertGrantable, grantHostAccess } from './grant-host-access.ts';
import { parseLinuxConfig, type LinuxConfig } from './linux-config.ts';
import { parseLinuxHandle, type LinuxHandle } from './linux-handle.ts';
import { authorizeKey, extendLocalAccount, passwdEntry, setRandomPassword } from './local-account.ts';
import { listHostGrants } from './list-host-grants.ts';
import { checkHostAccess, revokeHostAccess } from './revoke-host-access.ts';
import { sessionActivity } from './session-activity.ts';
import { withHost, type HostSession } from './ssh-session.ts';

export interface LinuxProviderOptions {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** The ldap provider's directory-account calls, for `ephemeral_account_type: domain`. */
  directory?: DirectoryAccounts;
}

/** One line of OpenSSH public key: type, base64 blob, optional comment; nothing that could add options. */
const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,2}( [\x21-\x7e ]{0,100})?$/;

export function createLinuxProvider(options: LinuxProviderOptions = {}): Provider {
  const env = options.env ?? process.env;
  const on = <T>(config: LinuxConfig, work: (session: HostSession) => Promise<T>) => withHost(config, { env }, work);
  const directoryFor = (config: LinuxConfig, handle?: LinuxHandle): DirectoryTarget | undefined =>
    (handle ? handle.ephemeral === 'domain' : config.jit.create_ephemeral && config.jit.ephemeral_account_type === 'domain') ? directoryOf(config, options.directory, env) : undefined;

  const ephemeralHandle = (data: GrantHandleData, purpose: string): LinuxHandle => {
    const handle = parseLinuxHandle(data);
    if (handle.ephemeral !== 'local') {
      throw new StintError('NO_CREDENTIAL', `this grant ${handle.ephemeral === null ? 'elevates your own account' : 'made a directory account'}: there is no ${purpose} for Stint to give`);
    }
    return handle;
  };
  const gone = (handle: LinuxHandle) => new StintError('NOT_FOUND', `account ${handle.account} no longer exists on ${handle.host} (already revoked); request access again`);

  return {
    type: 'linux',
    validate(config) {
      parseLinuxConfig(config);
    },
    async grant(raw, target) {
      const config = parseLinuxConfig(raw);
      assertGrantable(config, target);
      const directory = directoryFor(config);
      return on(config, (session) => grantHostAccess(session, config, target, directory));
    },
    async extend(raw, data, newExpiry) {
      const handle = parseLinuxHandle(data);
      // Only a local account carries its own expiry; sudo entries and groups end by Stint's timer.
      if (handle.ephemeral === 'local') await on(parseLinuxConfig(raw), (session) => extendLocalAccount(session, handle.account, newExpiry));
      return { ...handle, expiresAt: newExpiry.toISOString() };
    },
    async revoke(raw, data, { stillNeeded }) {
      const handle = parseLinuxHandle(data);
      const config = parseLinuxConfig(raw);
      const directory = directoryFor(config, handle);
      await on(config, (session) => revokeHostAccess(session, handle, stillNeeded, directory));
    },
    async check(raw, data) {
      const handle = parseLinuxHandle(data);
      const config = parseLinuxConfig(raw);
      const directory = directoryFor(config, handle);
      return on(config, (session) => checkHostAccess(session, handle, directory));
    },
    describe(raw) {
      return describeLinux(parseLinuxConfig(raw));
    },
    async activity(raw, data) {
      const handle = parseLinuxHandle(data);
      return on(parseLinuxConfig(raw), (session) => sessionActivity(session, handle.account, new Date()));
    },
    async listGranted(raw) {
      const config = parseLinuxConfig(raw);
      return on(config, (session) => listHostGrants(session, config));
    },
    async credential(raw, data) {
      const handle = ephemeralHandle(data, 'password');
      if (handle.launch) throw new StintError('NO_CREDENTIAL', 'this grant is for stint ssh only: connect with `stint ssh`, no credential is revealed');
      const config = parseLinuxConfig(raw);
      const password = await on(config, async (session) => {
        if (!(await passwdEntry(session, handle.account))) throw gone(handle);
        return setRandomPassword(session, handle.account);
      });
      return { username: handle.account, password, expiresAt: new Date(handle.expiresAt), hint: `ssh ${handle.account}@${config.host} -p ${config.port}` };
    },
    async authorizeLaunch(raw, data, publicKey) {
      const handle = ephemeralHandle(data, 'account to launch into');
      if (!PUBLIC_KEY.test(publicKey.trim())) throw new StintError('INTERNAL', 'linux provider: authorizeLaunch needs one OpenSSH public key line');
      const config = parseLinuxConfig(raw);
      return on(config, async (session) => {
        const entry = await passwdEntry(session, handle.account);
        if (!entry) throw gone(handle);
        await authorizeKey(session, entry, publicKey.trim());
        return { host: config.host, port: config.port, username: handle.account, hostKeys: session.keys.map((key) => key.blob) };
      });
    },
  };
}
