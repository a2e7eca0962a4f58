/**
 * Idle revocation (`idleTimeout`, issue 12): what the account does now, read from its interactive sessions. A
 * terminal's access time is its last input (what `who -u` shows as idle), so the newest one among the ttys the
 * account's processes hold says when it last typed. Ages are taken against the host's own clock and applied to
 * ours, so clock skew between Stint and the host does not count as activity or idleness. Sessions without a
 * terminal (`ssh host cmd`, tunnels) are not seen.
 */
import type { HostSession } from './ssh-session.ts';

/** Input this recent means the account is at the keyboard now. */
const ACTIVE_WITHIN_SEC = 60;

export async function sessionActivity(session: HostSession, account: string, now: Date): Promise<{ active: boolean; lastAt: Date | null }> {
  const listed = await session.run(['ps', '-U', account, '-o', 'tty='], { okCodes: [0, 1], unprivileged: true });
  const ttys = [...new Set(listed.stdout.split('\n').map((tty) => tty.trim()))].filter((tty) => /^pts\/\d+$|^tty\d+$/.test(tty));
  if (ttys.length === 0) return { active: false, lastAt: null };
  // One command for the clock and the terminals, so both are read at the same moment; a tty closed meanwhile is skipped.
  const read = await session.run(['sh', '-c', 'date +%s; stat -c %X "$@" 2>/dev/null; true', 'sh', ...ttys.map((tty) => `/dev/${tty}`)], { unprivileged: true });
  const [hostNow, ...inputs] = read.stdout.trim().split('\n').map(Number);
  const latest = Math.max(...inputs.filter((value) => Number.isFinite(value)));
  if (hostNow === undefined || !Number.isFinite(hostNow) || !Number.isFinite(latest)) return { active: false, lastAt: null };
  const ageSec = Math.max(0, hostNow - latest);
  return { active: ageSec < ACTIVE_WITHIN_SEC, lastAt: new Date(now.getTime() - ageSec * 1000) };
}
