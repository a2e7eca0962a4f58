/**
 * Chat user → policy person (DESIGN.md sections 3 and 6), the same on every platform: by the person's chat id
 * in the policy (`slack: U…`, `teams: <AAD object id>`), else by the email the platform holds for the user, only
 * when that email is confirmed and its domain is in `identity.emailDomains`. Each new email binding is audited.
 * Answers are cached (10 minutes), misses too, so a burst of clicks costs one look-up.
 */
import type { AuditInput, Clock, PolicySource } from '../core/ports.ts';
import type { PolicyPerson } from '../policy/model.ts';

export interface ChatUserProfile {
  email?: string;
  emailConfirmed: boolean;
}

/** Looks a user up on the platform (null when it does not know them). */
export type ChatUserLookup = (userId: string) => Promise<ChatUserProfile | null>;

export interface ChatIdentityDeps {
  platform: 'slack' | 'teams';
  /** The person's id on this platform, as the policy declares it. */
  declaredId(person: PolicyPerson): string | undefined;
  policy: PolicySource;
  clock: Clock;
  audit(event: AuditInput): Promise<unknown>;
  /** @defaultValue 600000 */
  ttlMs?: number;
}

export class ChatIdentity {
  private readonly cache = new Map<string, { personId: string | null; until: number }>();

  constructor(private readonly deps: ChatIdentityDeps) {}

  /** The person declared with this chat id, without any look-up (null when none). */
  declared(userId: string): string | null {
    for (const person of this.deps.policy.current().people.values()) if (this.deps.declaredId(person) === userId && !person.disabled) return person.id;
    return null;
  }

  async personOf(userId: string, lookup: ChatUserLookup): Promise<string | null> {
    const declared = this.declared(userId);
    if (declared) return declared;
    const policy = this.deps.policy.current();
    const now = this.deps.clock.now().getTime();
    const cached = this.cache.get(userId);
    if (cached && cached.until > now) return cached.personId && policy.people.get(cached.personId)?.disabled === false ? cached.personId : null;

    const profile = await lookup(userId);
    const email = profile?.emailConfirmed ? profile.email?.toLowerCase() : undefined;
    const domain = email?.split('@')[1];
    const allowed = domain !== undefined && policy.identity.emailDomains.map((d) => d.toLowerCase()).includes(domain);
    const person = allowed ? [...policy.people.values()].find((p) => !p.disabled && p.email.toLowerCase() === email) : undefined;
    if (person && !cached) {
      const platformId = this.deps.platform === 'slack' ? { slackUserId: userId } : { aadObjectId: userId };
      await this.deps.audit({ actor: person.id, action: 'identity.bound', data: { platform: this.deps.platform, ...platformId, email }, at: this.deps.clock.now() });
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(userId, { personId: person?.id ?? null, until: now + (this.deps.ttlMs ?? 600_000) });
    return person?.id ?? null;
  }
}
