/**
 * Access tokens for the Cloud Resource Manager API, from google-auth-library: a service-account key given as
 * `credentials: env:NAME | file:/path` (or the file GOOGLE_APPLICATION_CREDENTIALS names), else Application
 * Default Credentials (metadata server, workload identity, gcloud). Clients are cached per key content so the
 * library's token cache works and a rotated key is picked up. Nothing here logs or returns the key.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { GoogleAuth, JWT, gaxios } from 'google-auth-library';
import { StintError } from '../../domain/errors.ts';
import { resolveSecret } from '../secrets.ts';
import { isAllowedUrl } from './gcp-config.ts';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
// The JWT client always posts here and signs it as `aud`, whatever the key's token_uri says.
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface TokenSource {
  token(): Promise<string>;
}

interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

/** Marks a failure of the token exchange that a retry may fix (429, 5xx, network). */
export class TransientAuthError extends Error {}

function parseKey(json: string, where: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // fall through: the message must not echo the content
  }
  throw new StintError('POLICY_INVALID', `gcp provider: ${where} does not hold a JSON credential (a service-account key file)`);
}

function isServiceAccountKey(key: Record<string, unknown>): key is Record<string, unknown> & ServiceAccountKey {
  return key.type === 'service_account' && typeof key.client_email === 'string' && typeof key.private_key === 'string';
}

/**
 * A JWT client for the key. The Node library ignores the key's `token_uri`; honouring it (for private
 * endpoints, and for tests) means posting the assertion there and signing it for that audience.
 */
function jwtClient(key: ServiceAccountKey, where: string): JWT {
  const tokenUri = key.token_uri && key.token_uri !== GOOGLE_TOKEN_URL ? key.token_uri : undefined;
  if (tokenUri && !isAllowedUrl(tokenUri)) {
    throw new StintError('POLICY_INVALID', `gcp provider: the token_uri of the key in ${where} must be https:// (http:// only to localhost)`);
  }
  const transporter = new gaxios.Gaxios();
  if (tokenUri) {
    transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === GOOGLE_TOKEN_URL) options.url = new URL(tokenUri);
        return options;
      },
    });
  }
  return new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [CLOUD_PLATFORM_SCOPE],
    transporter,
    ...(tokenUri ? { additionalClaims: { aud: tokenUri } } : {}),
  });
}

function tokenErrorMessage(err: unknown): { message: string; transient: boolean } {
  const status = err instanceof gaxios.GaxiosError ? err.status : undefined;
  // An HTTP answer of 429/5xx, or no answer at all, may pass; "no credentials found" and 4xx will not.
  const transient = err instanceof gaxios.GaxiosError && (status === undefined || status === 429 || status >= 500);
  const text = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
  return { message: `gcp provider: could not get an access token (${status ?? 'no response'}): ${text}`, transient };
}

export function createTokenSources(env: NodeJS.ProcessEnv) {
  const clients = new Map<string, () => Promise<string | null | undefined>>();

  async function clientFor(ref: string | undefined) {
    let content: string | undefined;
    let where: string;
    if (ref) {
      content = await resolveSecret(ref, env);
      where = ref;
    } else if (env.GOOGLE_APPLICATION_CREDENTIALS) {
      where = 'GOOGLE_APPLICATION_CREDENTIALS';
      content = await readFile(env.GOOGLE_APPLICATION_CREDENTIALS, 'utf8').catch(() => {
        throw new StintError('POLICY_INVALID', 'gcp provider: the file GOOGLE_APPLICATION_CREDENTIALS names cannot be read; check the path and its permissions');
      });
    } else {
      where = 'application default credentials';
    }
    const cacheKey = content === undefined ? 'adc' : createHash('sha256').update(content).digest('hex');
    const cached = clients.get(cacheKey);
    if (cached) return cached;
    let client: () => Promise<string | null | undefined>;
    if (content === undefined) {
      const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
      client = () => auth.getAccessToken();
    } else {
      const key = parseKey(content, where);
      if (isServiceAccountKey(key)) {
        const jwt = jwtClient(key, where);
        client = async () => (await jwt.getAccessToken()).token;
      } else {
        // Other credential types (external_account for workload identity federation, authorized_user) go to the library as they are.
        const auth = new GoogleAuth({ credentials: key, scopes: [CLOUD_PLATFORM_SCOPE] });
        client = () => auth.getAccessToken();
      }
    }
    clients.set(cacheKey, client);
    return client;
  }

  return {
    /** A token source for one config's `credentials` reference (undefined: ADC). */
    forCredentials(ref: string | undefined): TokenSource {
      return {
        async token() {
          const client = await clientFor(ref);
          let token: string | null | undefined;
          try {
            token = await client();
          } catch (err) {
            if (err instanceof StintError) throw err;
            const { message, transient } = tokenErrorMessage(err);
            if (transient) throw new TransientAuthError(message);
            throw new StintError('FORBIDDEN', `${message}; check that the service-account key is valid and not disabled`);
          }
          if (!token) throw new StintError('FORBIDDEN', 'gcp provider: the credentials gave no access token');
          return token;
        },
      };
    },
  };
}
