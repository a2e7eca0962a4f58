/**
 * The rules of launch mode (`stint ssh`, issue 8), checked when a request is made: a launch opens one session on one
 * pinned machine, on an account the grant makes for the request, through the SSH gateway that holds the key. Each
 * refusal names the resource and what to do instead.
 */
import { StintError } from '../domain/errors.ts';
import type { ResolvedScope } from '../policy/model.ts';
import type { ProviderLookup } from './ports.ts';

/** Fields a client might send to choose the host or the credential itself: never with a launch (see refuseLaunchOptions). */
export const USER_SUPPLIED_OPTIONS = ['host', 'hostname', 'port', 'login', 'user', 'username', 'identityFile', 'privateKey', 'password', 'sshOptions'] as const;

export function checkLaunch(scopes: ResolvedScope[], providers: ProviderLookup | undefined): void {
  if (scopes.length !== 1) {
    throw new StintError('INVALID_BODY', `A launch opens one session on one machine: request one resource, not ${scopes.length} (${scopes.map((s) => s.id).join(', ')})`, {
      field: 'scopes',
    });
  }
  const { resource } = scopes[0]!;
  const config = resource.provider as Record<string, unknown>;
  const provider = providerOf(providers, resource.provider.type);
  if (!provider?.authorizeLaunch) {
    throw new StintError(
      'NOT_ELIGIBLE',
      `${resource.id} cannot be launched with stint ssh: its provider (${resource.provider.type}) does not open sessions through the SSH gateway; request it without launch (\`stint request\`)`,
      { scope: resource.id, rule: 'launch-provider' },
    );
  }
  if (config.allowUserHost === true) {
    throw new StintError(
      'NOT_ELIGIBLE',
      `${resource.id} lets the user supply the host; a JIT launch only goes to a pinned host: define a resource for that machine (with its knownHosts) and launch that`,
      { scope: resource.id, rule: 'launch-user-host' },
    );
  }
  const jit = config.jit as Record<string, unknown> | undefined;
  if (jit?.create_ephemeral !== true) {
    throw new StintError(
      'NOT_ELIGIBLE',
      `${resource.id} cannot be launched with stint ssh: a launch needs an account made for the request (jit.create_ephemeral: true on the resource); ask an admin, or request it without launch`,
      { scope: resource.id, rule: 'launch-ephemeral' },
    );
  }
  // The gateway authorizes its session key in the account's home on the host; a directory account has none there yet.
  if (jit.ephemeral_account_type === 'domain') {
    throw new StintError(
      'NOT_ELIGIBLE',
      `${resource.id} makes directory (domain) accounts, which cannot be launched with stint ssh yet: launch a resource with ephemeral_account_type: local, or request this one without launch`,
      { scope: resource.id, rule: 'launch-local-account' },
    );
  }
}

/**
 * A launch uses the resource's pinned host and a key the gateway makes for the session: a body that also names a host,
 * a login or a credential is refused (INVALID_BODY naming the field) rather than silently ignored.
 */
export function refuseLaunchOptions(body: unknown): void {
  if (typeof body !== 'object' || body === null || (body as Record<string, unknown>).launch !== true) return;
  const field = USER_SUPPLIED_OPTIONS.find((key) => key in body);
  if (field) {
    throw new StintError(
      'INVALID_BODY',
      `JIT launch cannot be combined with a user-supplied credential or host options ("${field}"): the gateway connects to the resource's pinned host with a key it makes for the session`,
      { field },
    );
  }
}

/** The provider of a type, or undefined where this build has none (a launch of it is refused like any other). */
function providerOf(providers: ProviderLookup | undefined, type: string) {
  try {
    return providers?.get(type);
  } catch {
    return undefined;
  }
}
