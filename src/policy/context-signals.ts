/**
 * Context signals of a request (issue 12): where it came from (source IP against `trustedNetworks`; chat requests
 * carry none and say so), the device's posture (an MDM webhook or an identity-aware proxy's header), the time in
 * the policy's zone, and how unusual it is for this requester compared with their last 90 days (a resource they
 * never asked for, an hour they never ask at, a duration far above their usual). Pure: the caller brings the
 * history and the posture. Recorded on the request, shown on the card, fed to the risk score and to CEL `when`.
 */
import { BlockList, isIP } from 'node:net';
import type { Policy } from './model.ts';
import { localParts } from './zoned-time.ts';

export type DevicePosture = 'compliant' | 'noncompliant' | 'unknown';

export interface ContextSignals {
  /** The client's address for API, CLI and MCP requests; null for chat (Slack and Teams give none). */
  sourceIp: string | null;
  /** Whether sourceIp is in the policy's trustedNetworks; null when there is no IP or the policy names none. */
  trustedNetwork: boolean | null;
  device: DevicePosture;
  offHours: boolean;
  /** The baseline (last 90 days) compared; false while the requester has fewer than BASELINE_MIN requests. */
  newResource: boolean;
  unusualHour: boolean;
  unusualDuration: boolean;
}

export interface PastRequest {
  scopes: string[];
  createdAt: Date;
  durationSec: number;
}

export const BASELINE_DAYS = 90;
/** Fewer past requests than this is no baseline: everything would look unusual to a newcomer. */
export const BASELINE_MIN = 3;

export function contextSignals(
  policy: Policy,
  input: { scopes: string[]; durationSec: number; at: Date; sourceIp: string | null; device: DevicePosture; history: PastRequest[] },
): ContextSignals {
  const local = localParts(input.at, policy.timezone);
  const sourceIp = input.sourceIp ? normaliseIp(input.sourceIp) : null;
  const history = input.history.filter((r) => input.at.getTime() - r.createdAt.getTime() <= BASELINE_DAYS * 86_400_000);
  const baseline = history.length >= BASELINE_MIN;
  const seenScopes = new Set(history.flatMap((r) => r.scopes));
  const seenHours = new Set(history.map((r) => localParts(r.createdAt, policy.timezone).hour));
  const near = (h: number) => [h, (h + 23) % 24, (h + 1) % 24].some((x) => seenHours.has(x));
  const longest = Math.max(0, ...history.map((r) => r.durationSec));
  return {
    sourceIp,
    trustedNetwork: sourceIp && policy.trustedNetworks.length > 0 ? inNetworks(sourceIp, policy.trustedNetworks) : null,
    device: input.device,
    offHours: local.weekday === 0 || local.weekday === 6 || local.hour < 8 || local.hour >= 20,
    newResource: baseline && input.scopes.some((s) => !seenScopes.has(s)),
    unusualHour: baseline && !near(local.hour),
    unusualDuration: baseline && input.durationSec > 2 * longest,
  };
}

/** Short human lines for the card: every signal that says something, good or bad. */
export function describeSignals(signals: ContextSignals, requesterId: string): string[] {
  const lines: string[] = [];
  if (signals.sourceIp === null) lines.push('chat request (no source IP)');
  else if (signals.trustedNetwork === true) lines.push(`from ${signals.sourceIp} (trusted network)`);
  else if (signals.trustedNetwork === false) lines.push(`from ${signals.sourceIp} (untrusted network)`);
  else lines.push(`from ${signals.sourceIp}`);
  if (signals.device !== 'unknown') lines.push(`device ${signals.device}`);
  if (signals.offHours) lines.push('off-hours');
  if (signals.newResource) lines.push(`new resource for ${requesterId}`);
  if (signals.unusualHour) lines.push(`unusual hour for ${requesterId}`);
  if (signals.unusualDuration) lines.push(`unusual duration for ${requesterId}`);
  return lines;
}

/** A valid CIDR (`10.0.0.0/8`, `2001:db8::/32`) or address; for the policy loader. */
export function isCidr(text: string): boolean {
  const [address, bits, extra] = text.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

function inNetworks(ip: string, networks: readonly string[]): boolean {
  const list = new BlockList();
  for (const cidr of networks) {
    const [address, bits] = cidr.split('/');
    const type = isIP(address!) === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return list.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is 10.1.2.3. */
function normaliseIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped ? mapped[1]! : ip;
}
