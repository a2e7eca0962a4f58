/**
 * Step-up by OIDC re-login from the CLI (issue 12): when the server answers STEP_UP_REQUIRED with a sign-in link,
 * the CLI prints it, waits while the person signs in in their browser (polling the link's state), then makes the
 * same call again, which the fresh sign-in now lets through. A code (`--mfa-code`) stays the other way.
 */
import { StintError } from '../domain/errors.ts';
import type { ApiClient } from './api-client.ts';
import type { CliIo } from './client-commands.ts';

const POLL_MS = 1000;

interface LinkState {
  status: 'waiting' | 'confirmed' | 'used' | 'expired';
}

export async function withReLogin<T>(api: ApiClient, io: CliIo, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    const url = err instanceof StintError && err.code === 'STEP_UP_REQUIRED' ? err.details?.url : undefined;
    const id = err instanceof StintError ? err.details?.challengeId : undefined;
    if (typeof url !== 'string' || typeof id !== 'string') throw err;
    const why = (err as StintError).message.split(':')[0];
    const code = (err as StintError).details?.enrolled === true ? ', or stop (Ctrl-C) and run it again with --mfa-code' : ' (Ctrl-C to stop)';
    io.err(`${why}.\nOpen this link in your browser and sign in again (it works for 10 minutes):\n  ${url}\nWaiting for the sign-in${code}…`);
    for (;;) {
      if (io.signal?.aborted) throw new StintError('STEP_UP_REQUIRED', 'Stopped before the sign-in was done: nothing was sent');
      const { status } = await api.call<LinkState>('GET', `/api/v1/mfa/step-up/${encodeURIComponent(id)}`);
      if (status === 'confirmed') break;
      if (status !== 'waiting') throw new StintError('STEP_UP_FAILED', 'The sign-in link expired (or was used) before the sign-in: run the command again for a new one');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    io.err('Signed in again; going on.');
    return attempt();
  }
}
