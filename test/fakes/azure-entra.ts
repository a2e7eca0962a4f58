/**
 * The Entra ID half of the Azure fake: the OpenID metadata MSAL asks for, and `POST /<tenant>/oauth2/v2.0/token`
 * for client credentials (form body; the tenant, client id, secret and scope must be the expected ones, else
 * Entra's `{error, error_description, error_codes}` with AADSTS codes). Issued tokens are opaque and remembered,
 * so ARM can accept only those.
 */
import { randomBytes } from 'node:crypto';

export interface EntraAnswer {
  status: number;
  body: unknown;
}

export interface FakeEntra {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The scope a token must be asked for. */
  scope: string;
  tokens: Set<string>;
  /** Answers a call under `/<tenant>/…`, or undefined when the path is not Entra's. */
  handle(method: string, path: string, body: string, baseUrl: string): EntraAnswer | undefined;
}

const entraError = (status: number, error: string, code: number, description: string): EntraAnswer => ({
  status,
  body: { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code], timestamp: new Date().toISOString(), trace_id: 'fake', correlation_id: 'fake' },
});

export function createFakeEntra(options: { tenantId: string; clientId: string; clientSecret: string; scope?: string }): FakeEntra {
  const tokens = new Set<string>();
  const scope = options.scope ?? 'https://management.azure.com/.default';

  function token(form: URLSearchParams): EntraAnswer {
    if (form.get('grant_type') !== 'client_credentials') return entraError(400, 'unsupported_grant_type', 70003, 'grant_type must be client_credentials here');
    if (form.get('client_id') !== options.clientId) return entraError(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id')}' was not found in the directory`);
    if (!form.get('client_secret')) return entraError(401, 'invalid_client', 7000216, "'client_assertion', 'client_secret' or 'request' is required");
    if (form.get('client_secret') !== options.clientSecret) return entraError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '' && !['openid', 'profile', 'offline_access'].includes(s));
    if (scopes.length !== 1 || scopes[0] !== scope) return entraError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.get('scope')} is not valid; expected ${scope}`);
    const accessToken = randomBytes(24).toString('base64url');
    tokens.add(accessToken);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken } };
  }

  return {
    ...options,
    scope,
    tokens,
    handle(method, path, body, baseUrl) {
      const parts = path.split('/').filter(Boolean);
      if (parts[0] !== options.tenantId) {
        if (parts[0] && /^[0-9a-f-]{36}$|^(common|organizations)$/i.test(parts[0]) && parts[1] !== 'subscriptions') {
          return entraError(400, 'invalid_tenant', 90002, `Tenant '${parts[0]}' not found.`);
        }
        return undefined;
      }
      const rest = parts.slice(1).join('/');
      const base = `${baseUrl}/${options.tenantId}`;
      if (method === 'GET' && rest === 'v2.0/.well-known/openid-configuration') {
        return {
          status: 200,
          body: {
            token_endpoint: `${base}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/oauth2/v2.0/logout`,
            jwks_uri: `${base}/discovery/v2.0/keys`,
            issuer: `${base}/v2.0`,
            token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
            response_modes_supported: ['query', 'fragment', 'form_post'],
          },
        };
      }
      if (method === 'POST' && rest === 'oauth2/v2.0/token') return token(new URLSearchParams(body));
      return entraError(404, 'invalid_request', 90001, `the fake Entra has no ${method} ${path}`);
    },
  };
}
