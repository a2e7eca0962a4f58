/** What the gateway needs from the app (src/app.ts wires it): the store's ports, the grant ports, token auth. */
import type { Logger } from 'pino';
import type { Actor } from '../core/actor.ts';
import type { AuditReader, GrantPorts, RequestStore, SessionRecordingStore } from '../core/ports.ts';
import type { HostKey } from './host-key.ts';
import type { LoginThrottleOptions } from './login-throttle.ts';

export interface GatewayDeps {
  store: RequestStore & SessionRecordingStore & Pick<AuditReader, 'appendAudit'>;
  /** For authorizeLaunch (providers) and ending the grant with the "done" use case. */
  grants: GrantPorts;
  /** The REST API's token check (a `stint_live_` token → its owner), with via `cli`. */
  authenticate(token: string): Promise<Actor>;
  logger: Logger;
  hostKey: HostKey;
  /** Tests: a key-pair maker to observe the session key (default: an ed25519 pair in memory, ssh-keys.ts). */
  generateKeyPair?: () => { private: string; public: string };
  /** How often an open session re-reads its request for expiry and revokes. @defaultValue 1000 */
  watchIntervalMs?: number;
  /** Failed logins per client address before it is blocked (login-throttle.ts has the defaults). */
  loginThrottle?: LoginThrottleOptions;
}
