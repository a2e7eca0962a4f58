/**
 * Outbound Bot Connector credentials fetched with client_credentials from one given token URL
 * (TEAMS_LOGIN_URL: tests, sovereign clouds). The stock factory goes through MSAL, which refuses http:// login
 * URLs and does instance discovery against Microsoft's hosts (FACTS.md). Tokens are cached until a minute
 * before they expire.
 */
import { PasswordServiceClientCredentialFactory } from 'botframework-connector';

type Credentials = Awaited<ReturnType<PasswordServiceClientCredentialFactory['createCredentials']>>;

export class LoginUrlCredentialFactory extends PasswordServiceClientCredentialFactory {
  constructor(
    appId: string,
    password: string,
    private readonly loginUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    super(appId, password);
  }

  /** One cached token per audience, shared by every connector client this factory equips (one per proactive send). */
  private readonly cache = new Map<string, { token: string; until: number }>();

  override async createCredentials(appId: string, audience: string): Promise<Credentials> {
    const fetchToken = async (): Promise<string> => {
      const cached = this.cache.get(audience);
      if (cached && cached.until > Date.now()) return cached.token;
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: this.password ?? '', scope: `${audience}/.default` });
      const res = await fetch(this.loginUrl, { method: 'POST', body: form, signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) throw new Error(`Teams token endpoint answered ${res.status}`);
      const body = (await res.json()) as { access_token: string; expires_in?: number };
      this.cache.set(audience, { token: body.access_token, until: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 });
      return body.access_token;
    };
    return {
      async signRequest(webResource) {
        webResource.headers.set('authorization', `Bearer ${await fetchToken()}`);
        return webResource;
      },
    };
  }
}
