/** The `stint` command line: one commander program, server-side and client-side verbs. */
import { Command, CommanderError } from 'commander';
import { isStintError } from '../domain/errors.ts';
import { registerClientCommands, type CliIo } from './client-commands.ts';
import { apiClientFromEnv } from './api-client.ts';
import { registerGuardrailCommands } from './guardrail-commands.ts';
import { registerMfaCommands } from './mfa-commands.ts';
import { registerOncallCommands } from './oncall-command.ts';
import { registerServerCommands } from './server-commands.ts';
import { registerSessionCommands } from './session-command.ts';
import { registerSshCommand } from './ssh-command.ts';
import { ExitStatus } from './terminal.ts';

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

export function buildProgram(io: CliIo): Command {
  const program = new Command('stint')
    .description('Just-in-time privileged access, requested and approved in chat')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  registerServerCommands(program, io);
  registerClientCommands(program, io);
  registerOncallCommands(program, io);
  registerGuardrailCommands(program, io);
  registerSshCommand(program, io);
  registerSessionCommands(program, io);
  registerMfaCommands(program, io, () => apiClientFromEnv(io.env));
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Runs one invocation; returns the exit code (0 ok, 1 refused with the code on stderr, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ExitStatus) return err.status;
    if (isStintError(err)) {
      io.err(`error ${err.code}: ${err.message}`);
      return EXIT.refused;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.refused;
  }
}
