/** The on-call folder's public API: what app.ts and the CLI build from `config.pagers`. */
import type { Logger } from 'pino';
import type { Clock, PolicySource } from '../core/ports.ts';
import type { PagersConfig } from '../config.ts';
import { OpsgenieClient } from './opsgenie.ts';
import { PagerDutyClient } from './pagerduty.ts';
import { PagerNotifier } from './pager-notifier.ts';
import type { PagerHttpOptions } from './pager-http.ts';
import { createOnCallLookup, type OnCallLookup } from './who-is-on-call.ts';

export { PagerDutyClient, type PagerDutyEvent, type PagerDutyOptions } from './pagerduty.ts';
export { OpsgenieClient, type OpsgenieAlert, type OpsgenieOptions } from './opsgenie.ts';
export { PagerNotifier, dedupKeyOf, type PagerNotifierOptions } from './pager-notifier.ts';
export { createOnCallLookup, rotationOf, type OnCallLookup, type OnCallLookupOptions, type OnCallSource } from './who-is-on-call.ts';

export interface Pagers {
  /** Set when PAGERDUTY_TOKEN and/or PAGERDUTY_ROUTING_KEY is. */
  pagerduty?: PagerDutyClient;
  /** Set when OPSGENIE_API_KEY is. */
  opsgenie?: OpsgenieClient;
  /** Set when something can be paged (PAGERDUTY_ROUTING_KEY or OPSGENIE_API_KEY): add it to the fan-out. */
  notifier?: PagerNotifier;
  /** Who is on call in a rotation (built-in, or through the adapters above). */
  lookup(options: { policy: PolicySource; clock: Clock; cacheMs?: number }): OnCallLookup;
  /** What is on, for the start-up banner: `pagerduty (look-ups, pages)`, `opsgenie`. */
  describe(): string[];
}

export function createPagers(config: PagersConfig, logger: Logger, deps: { policy: PolicySource; clock?: Clock; http?: PagerHttpOptions }): Pagers {
  const pd = config.pagerduty;
  const pagerduty = pd.token || pd.routingKey ? new PagerDutyClient({ ...pd, ...deps.http }) : undefined;
  const opsgenie = config.opsgenie.apiKey ? new OpsgenieClient({ ...config.opsgenie, ...deps.http }) : undefined;
  const canPage = Boolean(pagerduty?.canPage || opsgenie);
  const notifier = canPage
    ? new PagerNotifier({
        policy: deps.policy,
        ...(pagerduty?.canPage && { pagerduty }),
        ...(opsgenie && { opsgenie }),
        publicUrl: config.publicUrl,
        logger,
        ...(deps.clock && { clock: deps.clock }),
      })
    : undefined;
  return {
    pagerduty,
    opsgenie,
    notifier,
    lookup: ({ policy, clock, cacheMs }) =>
      createOnCallLookup({
        policy,
        clock,
        logger,
        ...(cacheMs !== undefined && { cacheMs }),
        ...(pagerduty?.canLookUp && { pagerduty }),
        ...(opsgenie && { opsgenie }),
      }),
    describe: () => [
      ...(pagerduty ? [`pagerduty (${[pagerduty.canLookUp && 'look-ups', pagerduty.canPage && 'pages'].filter(Boolean).join(', ')})`] : []),
      ...(opsgenie ? ['opsgenie'] : []),
    ],
  };
}
