/**
 * Teams user → policy person: chat/chat-identity.ts with the policy's `teams` (AAD object id), else the email
 * Teams holds for the member (`TeamsInfo.getMember`; Entra ID addresses are tenant-managed, so confirmed). Each
 * person's Teams user id (`29:…`, needed for `refresh.userIds`) and AAD object id (their personal chat, when the
 * policy names them by email only) are remembered the first time they are seen.
 */
import { TeamsInfo, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import { ChatIdentity } from '../chat/chat-identity.ts';
import type { AuditInput, Clock, PolicySource, TeamsDirectoryStore } from '../core/ports.ts';

export interface TeamsIdentityDeps {
  policy: PolicySource;
  clock: Clock;
  audit(event: AuditInput): Promise<unknown>;
  directory: Pick<TeamsDirectoryStore, 'recordTeamsUser'>;
  logger: Logger;
}

export class TeamsIdentity {
  private readonly identity: ChatIdentity;
  /** `person|29:…|aad` already written (one write per person and ids per process). */
  private readonly recorded = new Set<string>();

  constructor(private readonly deps: TeamsIdentityDeps) {
    this.identity = new ChatIdentity({ ...deps, platform: 'teams', declaredId: (person) => person.teams });
  }

  /** The person behind this activity's sender, or null (then the caller says how to get known). */
  async personOf(context: TurnContext): Promise<string | null> {
    const from = context.activity.from;
    const aad = from?.aadObjectId;
    if (!aad) return null;
    const personId = await this.identity.personOf(aad, async () => {
      try {
        const member = await TeamsInfo.getMember(context, from.id);
        const email = member.email ?? member.userPrincipalName;
        return email ? { email, emailConfirmed: true } : null;
      } catch (err) {
        this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not look a Teams member up');
        return null;
      }
    });
    if (personId) await this.remember(personId, from.id?.startsWith('29:') ? from.id : null, aad);
    return personId;
  }

  private async remember(personId: string, teamsUserId: string | null, aadObjectId: string): Promise<void> {
    const key = `${personId}|${teamsUserId}|${aadObjectId}`;
    if (this.recorded.has(key)) return;
    try {
      await this.deps.directory.recordTeamsUser(personId, { teamsUserId, aadObjectId });
      if (this.recorded.size > 10_000) this.recorded.clear();
      this.recorded.add(key);
    } catch (err) {
      this.deps.logger.warn({ err, personId }, 'could not record a Teams user id');
    }
  }
}
