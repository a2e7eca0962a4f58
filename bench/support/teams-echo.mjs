// The baseline of the Teams bench: an echo bot on the same adapter as Stint — botbuilder's CloudAdapter with
// ConfigurationBotFrameworkAuthentication validating the channel's JWT against the same OpenID metadata, behind
// Fastify (Stint's HTTP server) — whose turn answers every `adaptiveCard/action` invoke at once with a fixed small
// Adaptive Card. Prints "ready <url>" once listening.
import Fastify from 'fastify';
import { ActivityTypes, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { AuthenticationError } from 'botframework-connector';
import { LoginUrlCredentialFactory } from '../../dist/teams/login-url-credentials.js';

const env = process.env;
const auth = new ConfigurationBotFrameworkAuthentication(
  {
    MicrosoftAppId: env.TEAMS_APP_ID,
    MicrosoftAppTenantId: env.TEAMS_TENANT_ID,
    ToBotFromChannelOpenIdMetadataUrl: env.TEAMS_OPENID_METADATA_URL,
    ToBotFromChannelTokenIssuer: env.TEAMS_TOKEN_ISSUER,
  },
  new LoginUrlCredentialFactory(env.TEAMS_APP_ID, env.TEAMS_APP_PASSWORD, env.TEAMS_LOGIN_URL),
);

/** Same entry point as Stint's adapter: processActivity returns the invoke response instead of writing it. */
class EchoAdapter extends CloudAdapter {
  handle(authHeader, activity, logic) {
    return this.processActivity(authHeader, activity, logic);
  }
}
const adapter = new EchoAdapter(auth);

const CARD = {
  statusCode: 200,
  type: 'application/vnd.microsoft.card.adaptive',
  value: { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.5', body: [{ type: 'TextBlock', text: 'echo', wrap: true }] },
};

const server = Fastify({ logger: false });
server.post('/api/messages', async (req, reply) => {
  try {
    const invoke = await adapter.handle(req.headers.authorization ?? '', req.body, async (context) => {
      if (context.activity.type === ActivityTypes.Invoke && context.activity.name === 'adaptiveCard/action') {
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: CARD } });
      }
    });
    return reply.code(invoke?.status ?? 200).send(invoke?.body ?? '');
  } catch (err) {
    return reply.code(err instanceof AuthenticationError ? 401 : 500).send({ error: String(err) });
  }
});
const url = await server.listen({ port: Number(env.PORT), host: '127.0.0.1' });
process.stdout.write(`ready ${url}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
