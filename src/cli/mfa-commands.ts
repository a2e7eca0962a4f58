/** Second-factor verbs (issue 12, step-up), over REST: enrol an authenticator app, confirm it, reset someone's. */
import type { Command } from 'commander';
import type { ApiClient } from './api-client.ts';
import type { CliIo } from './client-commands.ts';

export function registerMfaCommands(program: Command, io: CliIo, client: () => ApiClient): void {
  const mfa = program.command('mfa').description('Your second factor for step-up (a TOTP authenticator app)');

  mfa
    .command('enroll')
    .description('Start enrolling an authenticator app: prints the secret once, then confirm with `stint mfa confirm <code>`')
    .option('--json', 'print the API JSON')
    .action(async (opts: { json?: boolean }) => {
      const answer = await client().call<{ secret: string; uri: string }>('POST', '/api/v1/mfa/totp');
      if (opts.json) return io.out(JSON.stringify(answer, null, 2));
      io.out(
        [
          'Add Stint to your authenticator app (shown once; Stint keeps it sealed):',
          `  secret: ${answer.secret.replace(/(.{4})/g, '$1 ').trim()}`,
          `  or the URI (paste into a QR generator you trust): ${answer.uri}`,
          'Then prove it works: stint mfa confirm <the 6-digit code your app shows>',
        ].join('\n'),
      );
    });

  mfa
    .command('confirm')
    .description('Finish enrolling with the first code your app shows')
    .argument('<code>')
    .action(async (code: string) => {
      await client().call('POST', '/api/v1/mfa/totp/confirm', { code });
      io.out('Second factor enrolled. Workflows that ask for step-up take its code (--mfa-code, or the chat prompt).');
    });

  mfa
    .command('reset')
    .description("Remove a person's second factor so they can enrol again (admin; a lost phone)")
    .argument('<person>')
    .action(async (person: string) => {
      const { removed } = await client().call<{ removed: boolean }>('DELETE', `/api/v1/mfa/totp/${encodeURIComponent(person)}`);
      io.out(removed ? `Second factor of ${person} removed: they enrol again with stint mfa enroll.` : `${person} had no second factor.`);
    });
}
