import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StintError } from '../../src/domain/errors.ts';
import { loadPolicyFile, watchPolicy } from '../../src/policy/index.ts';
import type { Policy } from '../../src/policy/model.ts';
import { EXAMPLE_YAML } from './helpers.ts';

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function setup(options: { debounceMs?: number; signal?: NodeJS.Signals | null } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'stint-watch-'));
  const path = join(dir, 'stint.yaml');
  await writeFile(path, EXAMPLE_YAML);
  const initial = await loadPolicyFile(path);
  const reloads: Array<{ next: Policy; previous: Policy }> = [];
  const errors: StintError[] = [];
  const watcher = watchPolicy(
    path,
    { onReload: (next, previous) => void reloads.push({ next, previous }), onError: (err) => void errors.push(err) },
    initial,
    { debounceMs: 20, signal: null, ...options },
  );
  stops.push(() => watcher.stop(), () => void rm(dir, { recursive: true, force: true }));
  return { path, initial, reloads, errors };
}

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchPolicy', () => {
  it('reloads when the file changes', async () => {
    const { path, initial, reloads } = await setup();
    await writeFile(path, `${EXAMPLE_YAML}\n# edited\n`);
    await vi.waitFor(() => expect(reloads).toHaveLength(1), { timeout: 3000 });
    expect(reloads[0]!.previous).toBe(initial);
    expect(reloads[0]!.next.fingerprint).not.toBe(initial.fingerprint);
  });

  it('skips a change that leaves the content the same', async () => {
    const { path, reloads } = await setup();
    await writeFile(path, EXAMPLE_YAML);
    await settle();
    expect(reloads).toHaveLength(0);
  });

  it('keeps the last good policy and reports a reload that fails', async () => {
    const { path, initial, reloads, errors } = await setup();
    await writeFile(path, EXAMPLE_YAML.replace('workflow: two-dba', 'workflow: nope'));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 3000 });
    expect(errors[0]!.code).toBe('POLICY_INVALID');
    expect(reloads).toHaveLength(0);

    await writeFile(path, `${EXAMPLE_YAML}\n# fixed\n`);
    await vi.waitFor(() => expect(reloads).toHaveLength(1), { timeout: 3000 });
    expect(reloads[0]!.previous).toBe(initial);
  });

  it('reloads on SIGHUP', async () => {
    const { path, reloads } = await setup({ debounceMs: 60_000, signal: 'SIGHUP' });
    await writeFile(path, `${EXAMPLE_YAML}\n# via signal\n`);
    process.emit('SIGHUP', 'SIGHUP');
    await vi.waitFor(() => expect(reloads).toHaveLength(1), { timeout: 3000 });
  });

  it('stops reloading once stopped', async () => {
    const { path, reloads } = await setup();
    stops.splice(0, 1)[0]!();
    await writeFile(path, `${EXAMPLE_YAML}\n# after stop\n`);
    await settle();
    expect(reloads).toHaveLength(0);
  });
});
