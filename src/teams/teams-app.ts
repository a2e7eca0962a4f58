/**
 * The Teams surface: `POST /api/messages` on our Fastify server through botbuilder's CloudAdapter. Inbound JWTs are
 * checked by ConfigurationBotFrameworkAuthentication (TEAMS_OPENID_METADATA_URL / TEAMS_TOKEN_ISSUER point it at
 * another OpenID document: tests, sovereign clouds); every validation failure is a 401 and changes nothing. With a
 * tenant id set, activities from other tenants are refused (403) and audited. Messages carry the `/jit` verbs.
 */
import { AuthenticationError } from 'botframework-connector';
import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
  type TurnContext,
} from 'botbuilder';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuditReader, CorePorts, GrantPorts } from '../core/ports.ts';
import { LoginUrlCredentialFactory } from './login-url-credentials.ts';
import { answerMessage } from './messages.ts';

export interface TeamsSettings {
  appId: string;
  appPassword: string;
  /** Single-tenant bot: only this tenant's activities are served. Unset: multi-tenant. */
  tenantId?: string;
  openIdMetadataUrl?: string;
  tokenIssuer?: string;
  /** Full URL of the client-credentials token endpoint for outbound calls (bypasses MSAL). */
  loginUrl?: string;
}

export interface TeamsSurfaceDeps {
  settings: TeamsSettings;
  server: FastifyInstance;
  core: CorePorts;
  grants: GrantPorts;
  audit: Pick<AuditReader, 'appendAudit'>;
  logger: Logger;
}

export interface TeamsSurface {
  adapter: CloudAdapter;
}

type AuthenticateRequest = ConfigurationBotFrameworkAuthentication['authenticateRequest'];

/**
 * A token signed by another key under a known `kid` makes the JWT library throw a plain Error, which CloudAdapter
 * would answer with 500 (FACTS.md): any failure to authenticate is an AuthenticationError here.
 */
class StrictAuthentication extends ConfigurationBotFrameworkAuthentication {
  override async authenticateRequest(...args: Parameters<AuthenticateRequest>): ReturnType<AuthenticateRequest> {
    try {
      return await super.authenticateRequest(...args);
    } catch (err) {
      if (err instanceof AuthenticationError) throw err;
      throw new AuthenticationError(err instanceof Error ? err.message : String(err), 401);
    }
  }
}

/** CloudAdapter.process answers 500 for our refusals; its protected processActivity lets us choose the status. */
class StintAdapter extends CloudAdapter {
  handle(...args: [authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>]) {
    return this.processActivity(...args);
  }
}

export function createTeamsSurface(deps: TeamsSurfaceDeps): TeamsSurface {
  const s = deps.settings;
  const appType = s.tenantId ? 'SingleTenant' : 'MultiTenant';
  const credentials = s.loginUrl
    ? new LoginUrlCredentialFactory(s.appId, s.appPassword, s.loginUrl)
    : new ConfigurationServiceClientCredentialFactory({ MicrosoftAppId: s.appId, MicrosoftAppPassword: s.appPassword, MicrosoftAppType: appType, MicrosoftAppTenantId: s.tenantId });
  const auth = new StrictAuthentication(
    {
      MicrosoftAppId: s.appId,
      MicrosoftAppTenantId: s.tenantId,
      ...(s.openIdMetadataUrl && { ToBotFromChannelOpenIdMetadataUrl: s.openIdMetadataUrl }),
      ...(s.tokenIssuer && { ToBotFromChannelTokenIssuer: s.tokenIssuer }),
    },
    credentials,
  );
  const adapter = new StintAdapter(auth);
  adapter.onTurnError = async (_context, err) => {
    deps.logger.error({ err }, 'Teams turn failed');
  };

  const onTurn = async (context: TurnContext): Promise<void> => {
    const activity = context.activity;
    if (activity.type !== ActivityTypes.Message || typeof activity.text !== 'string') return;
    const text = await answerMessage(activity.text, activity.from?.aadObjectId, deps);
    await context.sendActivity({ type: ActivityTypes.Message, text, textFormat: 'markdown' });
  };

  deps.server.post('/api/messages', async (req, reply) => {
    const activity = req.body as Partial<Activity> | undefined;
    if (!activity || typeof activity !== 'object' || typeof activity.type !== 'string') {
      return reply.code(400).send({ error: { code: 'INVALID_BODY', message: 'Expected a Bot Framework activity' } });
    }
    let refusedTenant: string | undefined;
    try {
      const invoke = await adapter.handle(req.headers.authorization ?? '', activity as Activity, async (context) => {
        const tenant = tenantOf(context.activity);
        // Only reached with a valid token: a stranger cannot fill the audit log with refusals.
        if (s.tenantId && tenant !== s.tenantId) {
          refusedTenant = tenant ?? '';
          return;
        }
        await onTurn(context);
      });
      if (refusedTenant !== undefined) {
        await deps.audit.appendAudit({
          actor: 'teams',
          action: 'teams.tenant_refused',
          data: { tenantId: refusedTenant, aadObjectId: activity.from?.aadObjectId, conversationId: activity.conversation?.id },
          at: deps.core.clock.now(),
        });
        return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'This bot serves one Microsoft Entra tenant only' } });
      }
      return reply.code(invoke?.status ?? 200).send(invoke?.body ?? '');
    } catch (err) {
      if (err instanceof AuthenticationError) return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'Bot Framework token refused' } });
      deps.logger.error({ err }, 'Teams activity failed');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Something went wrong on our side' } });
    }
  });
  return { adapter };
}

function tenantOf(activity: Activity): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return channelData?.tenant?.id ?? activity.conversation?.tenantId;
}
