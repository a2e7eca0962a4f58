/**
 * Slack user → policy person (DESIGN.md sections 3 and 6): by the person's `slack` id in the policy, else by
 * the email Slack holds for the user (`users.info`), only when that email is confirmed and its domain is in
 * `identity.emailDomains`. Each new email binding is audited. Answers are cached (10 minutes), misses too, so a
 * burst of clicks costs one `users.info`.
 */
import type { AuditInput, Clock, PolicySource } from '../core/ports.ts';

export interface SlackUserProfile {
  email?: string;
  emailConfirmed: boolean;
}

export interface SlackIdentityDeps {
  policy: PolicySource;
  clock: Clock;
  /** `users.info` for one user (null when Slack does not know them). */
  lookup(slackUserId: string): Promise<SlackUserProfile | null>;
  audit(event: AuditInput): Promise<unknown>;
  /** @defaultValue 600000 */
  ttlMs?: number;
}

export class SlackIdentity {
  private readonly cache = new Map<string, { personId: string | null; until: number }>();

  constructor(private readonly deps: SlackIdentityDeps) {}

  async personOf(slackUserId: string): Promise<string | null> {
    const policy = this.deps.policy.current();
    for (const person of policy.people.values()) if (person.slack === slackUserId && !person.disabled) return person.id;
    const now = this.deps.clock.now().getTime();
    const cached = this.cache.get(slackUserId);
    if (cached && cached.until > now) return cached.personId && policy.people.get(cached.personId)?.disabled === false ? cached.personId : null;

    const profile = await this.deps.lookup(slackUserId);
    const email = profile?.emailConfirmed ? profile.email?.toLowerCase() : undefined;
    const domain = email?.split('@')[1];
    const allowed = domain !== undefined && policy.identity.emailDomains.map((d) => d.toLowerCase()).includes(domain);
    const person = allowed ? [...policy.people.values()].find((p) => !p.disabled && p.email.toLowerCase() === email) : undefined;
    if (person && !cached) {
      await this.deps.audit({ actor: person.id, action: 'identity.bound', data: { platform: 'slack', slackUserId, email }, at: this.deps.clock.now() });
    }
    this.cache.set(slackUserId, { personId: person?.id ?? null, until: now + (this.deps.ttlMs ?? 600_000) });
    return person?.id ?? null;
  }
}

/** What an unknown Slack user is told: the admin step that fixes it. */
export function unknownUserMessage(slackUserId: string): string {
  return (
    `Stint does not know your Slack account (\`${slackUserId}\`). Ask a Stint admin to add \`slack: ${slackUserId}\` ` +
    'to your entry under `people:` in the policy file, or to list your verified email domain under `identity.emailDomains`.'
  );
}
