/** What the button and modal handlers receive (one options object, passed in by slack-app.ts). */
import type { Logger } from 'pino';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import type { SlackIdentity } from './identity.ts';

export interface InteractionDeps {
  core: CorePorts;
  grants: GrantPorts;
  identity: SlackIdentity;
  logger: Logger;
  /**
   * Brings every posted copy of a request's card to its true state (the Slack notifier's). Called after each click
   * on a request, refused or not: a refused click usually means the card someone looked at was stale.
   */
  refreshCards?(requestId: string): Promise<void>;
}

/** Refreshes a request's cards; a failure is logged, never shown to the clicker (their action already happened). */
export async function refreshCardsOf(deps: InteractionDeps, requestId: string): Promise<void> {
  if (!deps.refreshCards) return;
  await deps.refreshCards(requestId).catch((err: unknown) => deps.logger.warn({ err, requestId }, 'could not refresh the Slack cards of a request'));
}
