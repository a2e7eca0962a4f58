/**
 * Configuration from the environment (DESIGN.md section 9), parsed once with zod into a typed object. A bad
 * value stops start-up with the variable's name.
 */
import { z } from 'zod';
import { StintError } from './domain/errors.ts';

const port = z.coerce.number().int().min(0).max(65_535);
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));
const url = optionalText.pipe(z.url().optional());

const ENV_SCHEMA = z.object({
  PORT: port.default(3000),
  HOST: z.string().default('127.0.0.1'),
  METRICS_PORT: port.default(9464),
  DATABASE_URL: url,
  STINT_DATA_DIR: z.string().default('.stint'),
  REDIS_URL: url,
  STINT_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]{1,64}$/, 'letters, digits, _ . - and {} (a Redis Cluster hash tag) only')
    .default('stint'),
  STINT_POLICY: z.string().default('stint.yaml'),
  STINT_TRUST_PROXY: optionalText.pipe(
    z
      .string()
      .regex(/^(true|\d{1,2}|[0-9A-Fa-f:.\/]+(,\s*[0-9A-Fa-f:.\/]+)*)$/, 'true, a number of proxy hops, or the proxies\' addresses/CIDRs separated by commas')
      .optional(),
  ),
  STINT_PUBLIC_URL: url,
  STINT_ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_BOT_TOKEN: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: url,
  TEAMS_APP_ID: optionalText,
  TEAMS_APP_PASSWORD: optionalText,
  TEAMS_TENANT_ID: optionalText,
  TEAMS_OPENID_METADATA_URL: url,
  TEAMS_TOKEN_ISSUER: optionalText,
  TEAMS_LOGIN_URL: url,
  PAGERDUTY_TOKEN: optionalText,
  PAGERDUTY_ROUTING_KEY: optionalText,
  PAGERDUTY_API_URL: url,
  PAGERDUTY_EVENTS_URL: url,
  OPSGENIE_API_KEY: optionalText,
  OPSGENIE_API_URL: url,
  SMTP_URL: url,
  STINT_AUDIT_SIGNING_KEY: optionalText,
  STINT_SSH_PORT: optionalText.pipe(z.string().regex(/^\d{1,5}$/, 'a port number (0-65535)').transform(Number).pipe(z.number().int().max(65_535)).optional()),
  STINT_SSH_HOST_KEY: optionalText.pipe(z.string().regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/, 'env:NAME or file:/path (an OpenSSH or PEM private key), never the key itself').optional()),
  STINT_SSH_PUBLIC_HOST: optionalText.pipe(z.string().regex(/^[A-Za-z0-9.:\[\]-]{1,253}$/, 'a host name or address').optional()),
  STINT_SECRET_KEY: optionalText.pipe(
    z
      .string()
      .refine((v) => secretKeyBytes(v) !== undefined, '32 bytes as 64 hex digits or base64 (openssl rand -base64 32)')
      .optional(),
  ),
  STINT_OIDC_ISSUER: url,
  STINT_OIDC_CLIENT_ID: optionalText,
  STINT_OIDC_CLIENT_SECRET: optionalText,
  STINT_OIDC_CLAIM: optionalText.pipe(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, 'an ID token claim name, e.g. email or preferred_username').default('email')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STINT_URL: url,
  STINT_TOKEN: optionalText,
});

export type Env = z.infer<typeof ENV_SCHEMA>;

/** Every environment variable Stint reads (deployment manifests are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ENV_SCHEMA.shape);

export interface Config {
  port: number;
  host: string;
  metricsPort: number;
  databaseUrl?: string;
  dataDir: string;
  redisUrl?: string;
  /** BullMQ key prefix: several Stints (or test runs) can share one Redis; `{stint}` hash-tags it for Redis Cluster. */
  queuePrefix: string;
  policyPath: string;
  /** fastify's trustProxy: which X-Forwarded-For to believe for the source IP (STINT_TRUST_PROXY). */
  trustProxy: boolean | number | string[];
  publicUrl?: string;
  adminToken?: string;
  slack: { signingSecret?: string; botToken?: string; appToken?: string; apiUrl?: string; enabled: boolean };
  teams: { appId?: string; appPassword?: string; tenantId?: string; openIdMetadataUrl?: string; tokenIssuer?: string; loginUrl?: string; enabled: boolean };
  /** On-call look-ups and pages (src/oncall): each part is off while its secret is absent. */
  pagers: PagersConfig;
  smtpUrl?: string;
  /** STINT_AUDIT_SIGNING_KEY: Ed25519 PEM (or `file:/path`) that signs the audit anchors of exports. */
  auditSigningKey?: string;
  /** STINT_SECRET_KEY: the AES-256 key that seals second-factor seeds (step-up); absent: step-up is off. */
  secretKey?: Buffer;
  /** OIDC re-login as a step-up method (issue 12); absent while STINT_OIDC_ISSUER is unset. */
  oidc?: OidcConfig;
  logLevel: Env['LOG_LEVEL'];
  /** The SSH gateway of launch mode (`stint ssh`, src/gateway); off while STINT_SSH_PORT is unset. */
  ssh: SshGatewayConfig;
}

export interface SshGatewayConfig {
  enabled: boolean;
  /** STINT_SSH_PORT (0: any free port, for tests). */
  port?: number;
  /** STINT_SSH_HOST_KEY: `env:NAME` or `file:/path`; unset: one generated once into STINT_DATA_DIR/ssh_host_ed25519_key. */
  hostKey?: string;
  /** STINT_SSH_PUBLIC_HOST: the host clients connect to; unset: the host of the STINT_URL they use. */
  publicHost?: string;
}

export interface OidcConfig {
  /** STINT_OIDC_ISSUER: the issuer URL (its /.well-known/openid-configuration is read at first use). */
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  /** STINT_OIDC_CLAIM: the ID token claim that names the person (matched against their email, or their id). */
  claim: string;
  /** STINT_PUBLIC_URL + /auth/oidc/callback: registered at the identity provider as the redirect URI. */
  redirectUri: string;
}

export interface PagersConfig {
  pagerduty: { token?: string; routingKey?: string; apiUrl?: string; eventsUrl?: string };
  opsgenie: { apiKey?: string; apiUrl?: string };
  /** STINT_PUBLIC_URL, for links in pages. */
  publicUrl?: string;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ENV_SCHEMA.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new StintError('CONFIG_INVALID', `Invalid configuration:\n  ${lines.join('\n  ')}`, { variables: parsed.error.issues.map((i) => i.path.join('.')) });
  }
  const e = parsed.data;
  if (e.STINT_OIDC_ISSUER && (!e.STINT_OIDC_CLIENT_ID || !e.STINT_PUBLIC_URL)) {
    const missing = [...(e.STINT_OIDC_CLIENT_ID ? [] : ['STINT_OIDC_CLIENT_ID']), ...(e.STINT_PUBLIC_URL ? [] : ['STINT_PUBLIC_URL'])];
    throw new StintError(
      'CONFIG_INVALID',
      `Invalid configuration:\n  STINT_OIDC_ISSUER is set, so ${missing.join(' and ')} must be too (the client registered at the identity provider, and the address its redirect URI ${'${STINT_PUBLIC_URL}'}/auth/oidc/callback is under)`,
      { variables: missing },
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    metricsPort: e.METRICS_PORT,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.STINT_DATA_DIR,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.STINT_QUEUE_PREFIX,
    policyPath: e.STINT_POLICY,
    trustProxy: trustProxyOf(e.STINT_TRUST_PROXY),
    publicUrl: e.STINT_PUBLIC_URL,
    adminToken: e.STINT_ADMIN_TOKEN,
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET,
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      enabled: Boolean(e.SLACK_BOT_TOKEN && (e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN)),
    },
    teams: {
      appId: e.TEAMS_APP_ID,
      appPassword: e.TEAMS_APP_PASSWORD,
      tenantId: e.TEAMS_TENANT_ID,
      openIdMetadataUrl: e.TEAMS_OPENID_METADATA_URL,
      tokenIssuer: e.TEAMS_TOKEN_ISSUER,
      loginUrl: e.TEAMS_LOGIN_URL,
      enabled: Boolean(e.TEAMS_APP_ID && e.TEAMS_APP_PASSWORD),
    },
    pagers: {
      pagerduty: { token: e.PAGERDUTY_TOKEN, routingKey: e.PAGERDUTY_ROUTING_KEY, apiUrl: e.PAGERDUTY_API_URL, eventsUrl: e.PAGERDUTY_EVENTS_URL },
      opsgenie: { apiKey: e.OPSGENIE_API_KEY, apiUrl: e.OPSGENIE_API_URL },
      publicUrl: e.STINT_PUBLIC_URL,
    },
    smtpUrl: e.SMTP_URL,
    auditSigningKey: e.STINT_AUDIT_SIGNING_KEY,
    ...(e.STINT_SECRET_KEY !== undefined && { secretKey: secretKeyBytes(e.STINT_SECRET_KEY) }),
    ...(e.STINT_OIDC_ISSUER && {
      oidc: {
        issuer: e.STINT_OIDC_ISSUER,
        clientId: e.STINT_OIDC_CLIENT_ID!,
        ...(e.STINT_OIDC_CLIENT_SECRET !== undefined && { clientSecret: e.STINT_OIDC_CLIENT_SECRET }),
        claim: e.STINT_OIDC_CLAIM,
        redirectUri: `${e.STINT_PUBLIC_URL!.replace(/\/+$/, '')}/auth/oidc/callback`,
      },
    }),
    logLevel: e.LOG_LEVEL,
    ssh: { enabled: e.STINT_SSH_PORT !== undefined, port: e.STINT_SSH_PORT, hostKey: e.STINT_SSH_HOST_KEY, publicHost: e.STINT_SSH_PUBLIC_HOST },
  };
}

function secretKeyBytes(value: string): Buffer | undefined {
  const text = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/_-]+=*$/.test(text) ? Buffer.from(text, 'base64') : undefined;
  return bytes?.length === 32 ? bytes : undefined;
}

/**
 * Whose X-Forwarded-For to believe for a request's source IP (issue 12's trustedNetworks): nobody by default (the
 * connection's address), every proxy (`true`), the nearest N hops, or only the listed proxies' addresses/CIDRs.
 */
function trustProxyOf(value: string | undefined): boolean | number | string[] {
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((v) => v.trim());
}
