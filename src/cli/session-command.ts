/**
 * `stint session play <request id> [--speed N]`: fetches a `stint ssh` recording, checks that its SHA-256 is the one
 * stored with it and the one in its `session.recorded` audit event (a mismatch fails loudly, nothing is played), then
 * replays it to stdout with its timing.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { StintError } from '../domain/errors.ts';
import { apiClientFromEnv, type ApiClient } from './api-client.ts';
import type { CliIo } from './client-commands.ts';
import { processTerminal } from './terminal.ts';

export interface RecordingAnswer {
  recording: { id: string; requestId: string; sha256: string; bytes: number; content: string; startedAt: string; endedAt: string };
  auditEvent: { seq: string; data: Record<string, unknown> } | null;
}

/** Longest pause replayed (seconds, before --speed): an idle terminal is not worth waiting for. */
const DEFAULT_IDLE_LIMIT = 2;

export function registerSessionCommands(program: Command, io: CliIo, client: () => ApiClient = () => apiClientFromEnv(io.env)): void {
  const session = program.command('session').description('Recorded stint ssh sessions');
  session
    .command('play')
    .description('Replay the recording of a stint ssh session after checking its hash against the audit log')
    .argument('<id>', 'the request id of the session')
    .option('--speed <n>', 'replay speed (2 = twice as fast)', '1')
    .option('--idle-limit <seconds>', 'longest pause replayed', String(DEFAULT_IDLE_LIMIT))
    .action(async (id: string, opts: { speed: string; idleLimit: string }) => {
      const speed = Number(opts.speed);
      const idleLimit = Number(opts.idleLimit);
      if (!(speed > 0)) throw new StintError('INVALID_BODY', `--speed must be a number above 0, not "${opts.speed}"`, { field: 'speed' });
      if (!(idleLimit >= 0)) throw new StintError('INVALID_BODY', `--idle-limit must be 0 or more seconds, not "${opts.idleLimit}"`, { field: 'idle-limit' });
      const answer = await client().call<RecordingAnswer>('GET', `/api/v1/credentials/jit/${encodeURIComponent(id)}/recording`);
      const verified = verifyRecording(answer);
      io.err(`recording ${answer.recording.id} of ${answer.recording.requestId}: sha256 ${verified} matches the stored hash and audit event #${answer.auditEvent!.seq}`);
      await play(answer.recording.content, { speed, idleLimit, write: (text) => (io.terminal ?? processTerminal()).stdout.write(text) });
    });
}

/** The recording's SHA-256 when it equals both the stored hash and its audit event's; else AUDIT_BROKEN, loudly. */
export function verifyRecording(answer: RecordingAnswer): string {
  const actual = createHash('sha256').update(Buffer.from(answer.recording.content, 'utf8')).digest('hex');
  const audited = answer.auditEvent?.data.sha256;
  if (actual !== answer.recording.sha256) {
    throw new StintError('AUDIT_BROKEN', `Recording ${answer.recording.id} was changed: its content hashes to ${actual}, but ${answer.recording.sha256} was stored with it. Not playing it; tell your security team`);
  }
  if (typeof audited !== 'string') {
    throw new StintError('AUDIT_BROKEN', `Recording ${answer.recording.id} has no session.recorded audit event vouching for it. Not playing it; tell your security team`);
  }
  if (audited !== actual) {
    throw new StintError('AUDIT_BROKEN', `Recording ${answer.recording.id} hashes to ${actual}, but its session.recorded audit event #${answer.auditEvent!.seq} says ${audited}. Not playing it; tell your security team`);
  }
  return actual;
}

/** Writes each output event after the pause before it (divided by `speed`, each pause at most `idleLimit` seconds). */
export async function play(content: string, options: { speed: number; idleLimit: number; write(text: string): void; sleep?: (ms: number) => Promise<void> }): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const [, ...lines] = content.split('\n').filter((l) => l.trim() !== '');
  let previous = 0;
  for (const line of lines) {
    const [at, kind, text] = JSON.parse(line) as [number, string, string];
    const pause = Math.min(Math.max(0, at - previous), options.idleLimit) / options.speed;
    previous = at;
    if (kind !== 'o') continue;
    if (pause > 0) await sleep(pause * 1000);
    options.write(text);
  }
}
