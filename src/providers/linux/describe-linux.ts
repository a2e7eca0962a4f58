/** What approvers read on the card: what account, what elevation, on which host. */
import type { LinuxConfig } from './linux-config.ts';

export function describeLinux(config: LinuxConfig): string {
  const jit = config.jit;
  const host = config.port === 22 ? config.host : `${config.host}:${config.port}`;
  const elevation = !jit.elevate
    ? undefined
    : jit.elevation_method === 'sudo'
      ? `sudo (${jit.elevation_string})`
      : jit.elevation_method === 'group'
        ? `group ${jit.elevation_string}`
        : `role ${jit.elevation_string} (sudo profile prepared on the host)`;
  if (!jit.create_ephemeral) return `${elevation} for your linked account on ${host}`;
  const account = jit.ephemeral_account_type === 'domain' ? `ephemeral directory account (${jit.base_distinguished_name})` : 'ephemeral local account';
  return elevation ? `${account} + ${elevation} on ${host}` : `${account} on ${host}`;
}
