/**
 * The terminal a CLI verb drives directly (`stint ssh`, `stint session play`): process stdin/stdout/stderr by
 * default; tests pass their own streams through `CliIo.terminal`.
 */
export interface Terminal {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export function processTerminal(): Terminal {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/** A verb that ends with another program's exit status (`stint ssh` exits with the remote shell's). */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit status ${status}`);
  }
}
