/**
 * Reloads the policy on SIGHUP and when the file changes. The directory is watched, not the file, because
 * editors and ConfigMap updates replace the file (rename) rather than write it. A reload that fails keeps
 * the last good policy and reports the error: access decisions never run on a half-valid policy.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { StintError, isStintError } from '../domain/errors.ts';
import { loadPolicyFile } from './load-policy.ts';
import type { Policy } from './model.ts';

export interface PolicyWatchHandlers {
  onReload(next: Policy, previous: Policy): void | Promise<void>;
  onError(err: StintError): void | Promise<void>;
}

export interface PolicyWatchOptions {
  /** @defaultValue 100 */
  debounceMs?: number;
  /** The signal that forces a reload; `null` for none. @defaultValue 'SIGHUP' */
  signal?: NodeJS.Signals | null;
}

export function watchPolicy(
  path: string,
  handlers: PolicyWatchHandlers,
  initial: Policy,
  options: PolicyWatchOptions = {},
): { stop(): void } {
  const { debounceMs = 100, signal = 'SIGHUP' } = options;
  let current = initial;
  let stopped = false;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const report = async (err: unknown) => {
    const error = isStintError(err)
      ? err
      : new StintError('INTERNAL', `policy reload failed: ${err instanceof Error ? err.message : String(err)}`);
    try {
      await handlers.onError(error);
    } catch {
      // The error handler itself failed: nothing further to tell.
    }
  };

  // One reload at a time; a change during a reload triggers one more afterwards.
  const reload = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        let next: Policy;
        try {
          next = await loadPolicyFile(path);
        } catch (err) {
          await report(err);
          continue;
        }
        if (stopped || next.fingerprint === current.fingerprint) continue;
        const previous = current;
        current = next;
        try {
          await handlers.onReload(next, previous);
        } catch (err) {
          await report(err);
        }
      } while (again && !stopped);
    } finally {
      running = false;
    }
  };

  const schedule = () => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };

  const file = basename(path);
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(resolve(path)), (_event, name) => {
      if (name === null || name.toString() === file) schedule();
    });
    watcher.on('error', (err) => void report(err));
  } catch (err) {
    void report(err);
  }

  const onSignal = () => void reload();
  if (signal) process.on(signal, onSignal);

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      watcher?.close();
      if (signal) process.off(signal, onSignal);
    },
  };
}
