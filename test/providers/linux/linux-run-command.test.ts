import { describe, expect, it } from 'vitest';
import { LOCK_RETRIES, runCommand, type CommandResult } from '../../../src/providers/linux/run-command.ts';

const spec = { line: "'useradd' 'stint-x'", shown: 'useradd stint-x', where: 'db-1:22', sudo: false, okCodes: [0] };
const LOCKED: CommandResult = { code: 1, stdout: '', stderr: 'useradd: cannot lock /etc/passwd; try again later.\n' };
const OK: CommandResult = { code: 0, stdout: 'done', stderr: '' };

function scripted(results: CommandResult[]) {
  const lines: string[] = [];
  const exec = async (line: string) => {
    lines.push(line);
    return results.shift()!;
  };
  return { exec, lines };
}

describe('linux provider, reading a command outcome', () => {
  it('retries a shadow-utils command while /etc/passwd is locked, then succeeds', async () => {
    const { exec, lines } = scripted([LOCKED, LOCKED, OK]);
    const waits: number[] = [];
    await expect(runCommand(exec, spec, async (ms) => waits.push(ms))).resolves.toEqual(OK);
    expect(lines).toHaveLength(3);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
  });

  it('gives up after a capped number of retries, naming the command and host', async () => {
    const { exec, lines } = scripted(Array.from({ length: LOCK_RETRIES + 1 }, () => LOCKED));
    await expect(runCommand(exec, spec, async () => undefined)).rejects.toThrow('`useradd stint-x` failed on db-1:22 (exit 1: useradd: cannot lock /etc/passwd; try again later.)');
    expect(lines).toHaveLength(LOCK_RETRIES + 1);
  });

  it('runs through sudo -n and never reads a sudo refusal as an accepted exit code', async () => {
    const { exec, lines } = scripted([{ code: 1, stdout: '', stderr: 'sudo: a password is required\n' }]);
    await expect(runCommand(exec, { ...spec, sudo: true, okCodes: [0, 1] }, async () => undefined)).rejects.toThrow('sudo: a password is required');
    expect(lines).toEqual(["sudo -n -- 'useradd' 'stint-x'"]);
  });

  it('ignores sudo warnings that leave the command running', async () => {
    const { exec } = scripted([{ code: 0, stdout: '', stderr: 'sudo: unable to resolve host db-1: Name or service not known\n' }]);
    await expect(runCommand(exec, { ...spec, sudo: true }, async () => undefined)).resolves.toMatchObject({ code: 0 });
  });
});
