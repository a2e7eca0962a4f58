/**
 * Real `stint` processes for fault tests: `stint worker|serve|all` with a given environment,
 * their output kept (pino JSON lines parsed on demand), SIGKILL / SIGTERM and restart. Every child spawned here
 * is remembered, so `stopAllStintProcesses()` in an afterAll kills whatever a failed test left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/stint.js');
/**
 * What `stint` runs as. `bin/stint.js` prefers a built `dist/` when one exists, which may be older than the sources
 * under test; so by default the sources are run through tsx, exactly as `bin/stint.js` does without `dist/`.
 * `STINT_TEST_BIN=bin` runs `bin/stint.js` itself (e.g. to test a build).
 */
const COMMAND = process.env.STINT_TEST_BIN === 'bin' ? [BIN] : ['--import', 'tsx', join(ROOT, 'src/main.ts')];

export type StintVerb = 'worker' | 'serve' | 'all';

export interface StintProcess {
  name: string;
  verb: StintVerb;
  pid: number;
  /** Milliseconds from spawn to the start-up banner. */
  startupMs: number;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** The pino JSON lines of the output (other lines skipped). */
  logs(): Array<Record<string, unknown> & { msg?: string; level?: number }>;
  /** Resolves once `pattern` appears in the output; rejects on exit or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  running(): boolean;
  /** SIGKILL (no shutdown code runs) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, wait up to `graceMs` for the graceful exit, then SIGKILL. Returns the exit code (null if killed). */
  stop(graceMs?: number): Promise<number | null>;
}

const children = new Set<ChildProcess>();

/** The parent's environment without anything Stint reads, so a developer's shell cannot leak into a test. */
export function cleanEnv(): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('STINT_') || k.startsWith('VITEST') || ['DATABASE_URL', 'REDIS_URL', 'PORT', 'METRICS_PORT', 'LOG_LEVEL', 'NODE_OPTIONS'].includes(k)) continue;
    copy[k] = v;
  }
  return copy;
}

const BANNER: Record<StintVerb, RegExp> = {
  worker: /Stint worker running/,
  serve: /Stint serve listening on/,
  all: /Stint all listening on/,
};

/** Spawns `stint <verb>` and resolves once its start-up banner is printed (migrations ran, Redis answered). */
export async function spawnStint(verb: StintVerb, options: { env: Record<string, string>; name?: string; startTimeoutMs?: number }): Promise<StintProcess> {
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...COMMAND, verb], {
    cwd: ROOT,
    env: { ...cleanEnv(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => {
      children.delete(child);
      for (const l of listeners) l();
      done(code);
    });
  });
  const name = options.name ?? `${verb}-${child.pid}`;

  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((done, fail) => {
      const check = () => {
        if (pattern.test(text)) {
          finish();
          done();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          fail(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${text.slice(-4000)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${text.slice(-4000)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const proc: StintProcess = {
    name,
    verb,
    pid: child.pid!,
    startupMs: 0,
    output: () => text,
    logs: () =>
      text.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    waitForOutput,
    running: () => child.exitCode === null && child.signalCode === null,
    async kill() {
      if (proc.running()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (!proc.running()) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  try {
    await waitForOutput(BANNER[verb], options.startTimeoutMs ?? 60_000);
    proc.startupMs = Date.now() - spawnedAt;
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** SIGKILLs every stint process a test in this file started and has not stopped (afterAll, even on failure). */
export async function stopAllStintProcesses(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGKILL');
        }),
    ),
  );
}
