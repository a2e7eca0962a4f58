/**
 * `stint oncall who <rotation> [--at <time>]`: who is on call. Built-in rotations are computed from the policy
 * file alone (works offline, and says until when the shift runs); PagerDuty and Opsgenie schedules are asked
 * through their adapters (PAGERDUTY_TOKEN / OPSGENIE_API_KEY). Exit 2 for an unknown rotation or a bad time.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { isStintError } from '../domain/errors.ts';
import { createLogger } from '../logger.ts';
import { createPagers, rotationOf } from '../oncall/index.ts';
import { shiftEndsAt } from '../oncall/shift-end.ts';
import { loadPolicyFile, onCallAt, type OncallRotation, type Policy } from '../policy/index.ts';
import { isLocalDateTime, parseLocalDateTime } from '../policy/zoned-time.ts';
import type { CliIo } from './client-commands.ts';

const AT_HELP = `--at takes an instant (2026-04-08T12:00Z, 2026-04-08T14:00+02:00), a local time in the rotation's zone (2026-04-08T14:00) or "now"`;

interface WhoAnswer {
  rotation: string;
  at: string;
  source: string;
  people: Array<{ id: string; email: string }>;
  /** Built-in rotations: when the shift (or override) of the person on call ends. */
  until?: string;
  override?: boolean;
}

/** A full ISO instant with fractions of a second (`toISOString()`), which the policy's date-time form leaves out. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function parseAt(text: string | undefined, zone: string, now: Date): Date | undefined {
  if (text === undefined || text.trim().toLowerCase() === 'now') return now;
  if (isLocalDateTime(text)) return parseLocalDateTime(text, zone);
  const instant = ISO_INSTANT.test(text.trim()) ? new Date(text.trim()) : undefined;
  return instant && !Number.isNaN(instant.getTime()) ? instant : undefined;
}

function sourceOf(rotation: OncallRotation, zone: string): string {
  if (rotation.pagerduty) return `PagerDuty schedule ${rotation.pagerduty.scheduleId}`;
  if (rotation.opsgenie) return `Opsgenie schedule ${rotation.opsgenie.schedule}`;
  return `built-in rotation, ${zone}`;
}

function localTime(at: Date, zone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' }).format(at).replace(' ', 'T');
}

function render(a: WhoAnswer, zone: string): string {
  const lines = [`${a.rotation} at ${a.at} (${a.source})`];
  if (a.people.length === 0) lines.push('  nobody is on call (or the person on shift is disabled or not in the policy)');
  for (const p of a.people) {
    const until = a.until ? `  until ${localTime(new Date(a.until), zone)} ${zone} (${a.until})${a.override ? ', override' : ''}` : '';
    lines.push(`  ${p.id}  ${p.email}${until}`);
  }
  return lines.join('\n');
}

async function whoIsOnCall(policy: Policy, name: string, rotation: OncallRotation, at: Date, io: CliIo): Promise<WhoAnswer> {
  const zone = rotation.timezone ?? policy.timezone;
  const answer: WhoAnswer = { rotation: name, at: at.toISOString(), source: sourceOf(rotation, zone), people: [] };
  const person = (id: string) => ({ id, email: policy.people.get(id)?.email ?? '' });
  if (rotation.pagerduty || rotation.opsgenie) {
    const config = loadConfig(io.env);
    const logger = createLogger('warn', { write: (line: string) => io.err(line.trimEnd()) });
    const source = { current: () => policy };
    const lookup = createPagers(config.pagers, logger, { policy: source }).lookup({ policy: source, clock: { now: () => new Date() } });
    answer.people = (await lookup.who(name, at)).map(person);
    return answer;
  }
  const id = onCallAt(rotation, at, policy.timezone);
  const p = id === undefined ? undefined : policy.people.get(id);
  if (p && !p.disabled) answer.people = [person(p.id)];
  const until = shiftEndsAt(rotation, at, policy.timezone);
  if (until) answer.until = until.toISOString();
  answer.override = rotation.overrides.some((o) => o.from.getTime() <= at.getTime() && at.getTime() < o.to.getTime());
  return answer;
}

export function registerOncallCommands(program: Command, io: CliIo): void {
  const oncall = program.command('oncall').description('On-call rotations of the policy (built-in, PagerDuty, Opsgenie)');
  oncall
    .command('who')
    .description('Print who is on call in a rotation, and until when for built-in rotations')
    .argument('<rotation>', 'rotation name from the policy\'s oncall: section')
    .option('--at <time>', 'when: an ISO instant, a local time in the rotation\'s zone, or "now"', 'now')
    .option('--policy <file>', 'policy file (default: STINT_POLICY or stint.yaml)')
    .option('--json', 'print JSON')
    .addHelpText('after', `\n${AT_HELP}.\nBuilt-in rotations need only the policy file; PagerDuty schedules need PAGERDUTY_TOKEN, Opsgenie ones OPSGENIE_API_KEY.`)
    .action(async (name: string, opts: { at?: string; policy?: string; json?: boolean }, cmd: Command) => {
      const policy = await loadPolicyFile(opts.policy ?? loadConfig(io.env).policyPath);
      let rotation: OncallRotation;
      try {
        rotation = rotationOf(policy, name);
      } catch (err) {
        if (isStintError(err)) cmd.error(`error ${err.code}: ${err.message}`, { exitCode: 2, code: 'stint.usage' });
        throw err;
      }
      const at = parseAt(opts.at, rotation.timezone ?? policy.timezone, new Date());
      if (!at) cmd.error(`error: bad --at "${opts.at}": ${AT_HELP}`, { exitCode: 2, code: 'stint.usage' });
      const answer = await whoIsOnCall(policy, name, rotation, at, io);
      io.out(opts.json ? JSON.stringify(answer, null, 2) : render(answer, rotation.timezone ?? policy.timezone));
    });
}
