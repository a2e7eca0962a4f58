/**
 * A real `stint` CLI run on a real pseudo-terminal: a private tmux server (its own socket in a temp dir) runs the
 * command in a pane; the test types into it, reads the screen, and gets the command's exit status. The command's
 * environment comes from a mode-600 file sourced by the pane's shell, so no token appears in any process's argv.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

export interface TmuxClient {
  /** The screen and its scrollback, as plain text. */
  screen(): Promise<string>;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Types `text` literally, then Enter. */
  type(text: string): Promise<void>;
  /** The exit status of the stint command, once it ended. */
  exitStatus(timeoutMs?: number): Promise<number>;
  /** Pids of the `node` process running stint (children of the pane's shell). */
  stintPids(): string[];
  /** The client's HOME, for checking what it wrote. */
  home: string;
  close(): Promise<void>;
}

/** Runs `stint <args>` in a tmux pane of `cols`×`rows` with `env` (plus HOME in `dir`). */
export async function runStintInTmux(dir: string, args: string[], env: Record<string, string>, size = { cols: 120, rows: 40 }): Promise<TmuxClient> {
  const socket = join(dir, 'tmux.sock');
  const home = join(dir, 'client-home');
  mkdirSync(home, { recursive: true });
  const envFile = join(dir, 'client.env');
  const statusFile = join(dir, 'exit-status');
  const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const vars = { ...env, HOME: home, TERM: 'xterm-256color', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `export ${k}=${quote(v)}\n`).join(''), { mode: 0o600 });
  const stint = [process.execPath, '--import', 'tsx', join(ROOT, 'src/main.ts'), ...args].map(quote).join(' ');
  // The pane's shell stays after stint exits, so the screen can still be read; the status goes to a file.
  const script = `cd ${quote(ROOT)}; . ${quote(envFile)}; ${stint}; echo $? > ${quote(statusFile)}; sleep 600`;
  await run('tmux', ['-S', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'stint', '-x', String(size.cols), '-y', String(size.rows), 'sh', '-c', script], { env: { PATH: vars.PATH, TERM: 'xterm-256color' } });
  const tmux = (...a: string[]) => run('tmux', ['-S', socket, ...a]).then((r) => r.stdout);
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'stint', '-S', '-2000');
  const panePid = (await tmux('display-message', '-p', '-t', 'stint', '#{pane_pid}')).trim();
  return {
    home,
    screen,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await screen();
        if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`no ${String(pattern)} on the screen within ${timeoutMs} ms:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async type(text) {
      await tmux('send-keys', '-t', 'stint', '-l', text);
      await tmux('send-keys', '-t', 'stint', 'Enter');
    },
    async exitStatus(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(statusFile) || readFileSync(statusFile, 'utf8').trim() === '') {
        if (Date.now() > deadline) throw new Error(`stint did not exit within ${timeoutMs} ms:\n${await screen()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return Number(readFileSync(statusFile, 'utf8').trim());
    },
    stintPids() {
      try {
        return execFileSync('pgrep', ['-P', panePid, 'node'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
      } catch {
        return [];
      }
    },
    async close() {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}
