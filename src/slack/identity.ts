/**
 * Slack user → policy person: chat/chat-identity.ts with the policy's `slack` id and `users.info` as the look-up.
 */
import { ChatIdentity, type ChatUserLookup, type ChatUserProfile } from '../chat/chat-identity.ts';
import type { AuditInput, Clock, PolicySource } from '../core/ports.ts';

export type SlackUserProfile = ChatUserProfile;

export interface SlackIdentityDeps {
  policy: PolicySource;
  clock: Clock;
  /** `users.info` for one user (null when Slack does not know them). */
  lookup: ChatUserLookup;
  audit(event: AuditInput): Promise<unknown>;
  /** @defaultValue 600000 */
  ttlMs?: number;
}

export class SlackIdentity {
  private readonly identity: ChatIdentity;

  constructor(private readonly deps: SlackIdentityDeps) {
    this.identity = new ChatIdentity({ ...deps, platform: 'slack', declaredId: (person) => person.slack });
  }

  personOf(slackUserId: string): Promise<string | null> {
    return this.identity.personOf(slackUserId, this.deps.lookup);
  }
}

/** What an unknown Slack user is told: the admin step that fixes it. */
export function unknownUserMessage(slackUserId: string): string {
  return (
    `Stint does not know your Slack account (\`${slackUserId}\`). Ask a Stint admin to add \`slack: ${slackUserId}\` ` +
    'to your entry under `people:` in the policy file, or to list your verified email domain under `identity.emailDomains`.'
  );
}
