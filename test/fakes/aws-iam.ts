/**
 * The IAM and STS half of the AWS fake (query protocol: form-encoded `Action=…&Version=…`, XML answers): roles
 * with their MaxSessionDuration and inline policies (GetRole, PutRolePolicy, GetRolePolicy, DeleteRolePolicy,
 * ListRolePolicies; NoSuchEntity, MalformedPolicyDocument, and the 10,240-character inline-policy quota), and
 * STS AssumeRole enforcing DurationSeconds 900..MaxSessionDuration, a RoleSessionName and a SourceIdentity.
 * `sessionDenied` evaluates the role's inline denies against a session's SourceIdentity, as IAM would.
 */
import { randomBytes } from 'node:crypto';
import { AwsFault } from './aws-sso.ts';

export const ACCOUNT_ID = '123456789012';

export interface FakeRole {
  name: string;
  arn: string;
  maxSessionDuration: number;
  policies: Map<string, string>;
}

export interface IssuedSession {
  roleArn: string;
  sourceIdentity: string;
  sessionName: string;
  /** The inline session policy the caller passed (AssumeRole `Policy`), when it did. */
  policy?: string;
  durationSeconds: number;
  accessKeyId: string;
}

export interface IamState {
  roles: Map<string, FakeRole>;
  sessions: IssuedSession[];
}

export function newIamState(): IamState {
  return { roles: new Map(), sessions: [] };
}

export function addRole(state: IamState, name: string, maxSessionDuration = 3600): FakeRole {
  const role = { name, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`, maxSessionDuration, policies: new Map<string, string>() };
  state.roles.set(name, role);
  return role;
}

/** Whether one of the role's inline policies denies everything to sessions carrying `sourceIdentity`. */
export function sessionDenied(role: FakeRole, sourceIdentity: string): boolean {
  return [...role.policies.values()].some((text) => {
    const doc = JSON.parse(text);
    return (doc.Statement ?? []).some(
      (s: any) => s.Effect === 'Deny' && s.Action === '*' && s.Resource === '*' && s.Condition?.StringEquals?.['aws:SourceIdentity'] === sourceIdentity,
    );
  });
}

const NAME = /^[\w+=,.@-]+$/;
const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function param(params: URLSearchParams, field: string, pattern = NAME, max = 128): string {
  const value = params.get(field);
  if (!value) throw new AwsFault('ValidationError', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  if (!pattern.test(value) || value.length > max) throw new AwsFault('ValidationError', `1 validation error detected: Value at '${field}' failed to satisfy constraint`);
  return value;
}

function roleOf(state: IamState, params: URLSearchParams): FakeRole {
  const name = param(params, 'RoleName', NAME, 64);
  const role = state.roles.get(name);
  if (!role) throw new AwsFault('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role;
}

const iamAnswer = (action: string, result = '') =>
  `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">${result ? `<${action}Result>${result}</${action}Result>` : ''}<ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></${action}Response>`;

function roleXml(role: FakeRole): string {
  return `<Role><Path>/</Path><RoleName>${role.name}</RoleName><RoleId>AROA${role.name.length}FAKE</RoleId><Arn>${role.arn}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument><MaxSessionDuration>${role.maxSessionDuration}</MaxSessionDuration></Role>`;
}

function checkPolicyDocument(text: string): void {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AwsFault('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  if (doc.Version !== '2012-10-17' || !Array.isArray(doc.Statement) || doc.Statement.length === 0) throw new AwsFault('MalformedPolicyDocument', 'Policy document must carry Version 2012-10-17 and Statement[]');
  for (const s of doc.Statement) {
    if (!['Allow', 'Deny'].includes(s.Effect) || !s.Action || !s.Resource) throw new AwsFault('MalformedPolicyDocument', 'Each statement needs Effect, Action and Resource');
    if (s.Sid !== undefined && !/^[A-Za-z0-9]*$/.test(s.Sid)) throw new AwsFault('MalformedPolicyDocument', 'Statement IDs (SID) must be alpha-numeric.');
  }
}

/** One IAM action; answers the XML body. */
export function iamOperation(state: IamState, action: string, params: URLSearchParams): string {
  if (params.get('Version') !== '2010-05-08') throw new AwsFault('InvalidParameterValue', `IAM expects Version=2010-05-08, got ${params.get('Version')}`);
  switch (action) {
    case 'GetRole':
      return iamAnswer(action, roleXml(roleOf(state, params)));
    case 'PutRolePolicy': {
      const role = roleOf(state, params);
      const name = param(params, 'PolicyName');
      const document = params.get('PolicyDocument') ?? '';
      checkPolicyDocument(document);
      const others = [...role.policies].filter(([n]) => n !== name).reduce((n, [, d]) => n + d.replace(/\s/g, '').length, 0);
      if (others + document.replace(/\s/g, '').length > 10_240) throw new AwsFault('LimitExceeded', 'Maximum policy size of 10240 bytes exceeded for role', 409);
      role.policies.set(name, document);
      return iamAnswer(action);
    }
    case 'GetRolePolicy': {
      const role = roleOf(state, params);
      const name = param(params, 'PolicyName');
      const document = role.policies.get(name);
      if (document === undefined) throw new AwsFault('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
      return iamAnswer(action, `<RoleName>${role.name}</RoleName><PolicyName>${name}</PolicyName><PolicyDocument>${xmlEscape(encodeURIComponent(document))}</PolicyDocument>`);
    }
    case 'DeleteRolePolicy': {
      const role = roleOf(state, params);
      const name = param(params, 'PolicyName');
      if (!role.policies.delete(name)) throw new AwsFault('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
      return iamAnswer(action);
    }
    case 'ListRolePolicies': {
      const role = roleOf(state, params);
      return iamAnswer(action, `<PolicyNames>${[...role.policies.keys()].map((n) => `<member>${n}</member>`).join('')}</PolicyNames><IsTruncated>false</IsTruncated>`);
    }
    default:
      throw new AwsFault('InvalidAction', `The fake IAM does not serve ${action}`);
  }
}

/** STS AssumeRole (the only STS action Stint calls). */
export function stsOperation(state: IamState, action: string, params: URLSearchParams): string {
  if (params.get('Version') !== '2011-06-15') throw new AwsFault('InvalidParameterValue', `STS expects Version=2011-06-15, got ${params.get('Version')}`);
  if (action !== 'AssumeRole') throw new AwsFault('InvalidAction', `The fake STS does not serve ${action}`);
  const roleArn = param(params, 'RoleArn', /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, 2048);
  const role = [...state.roles.values()].find((r) => r.arn === roleArn);
  if (!role) throw new AwsFault('AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  const sessionName = param(params, 'RoleSessionName', /^[\w+=,.@-]{2,64}$/, 64);
  const sourceIdentity = params.get('SourceIdentity');
  if (!sourceIdentity) throw new AwsFault('AccessDenied', 'This role requires a SourceIdentity (sts:SetSourceIdentity with a condition on it)', 403);
  if (!/^[\w+=,.@-]{2,64}$/.test(sourceIdentity) || sourceIdentity.toLowerCase().startsWith('aws:')) throw new AwsFault('ValidationError', "Value at 'sourceIdentity' failed to satisfy constraint");
  const durationSeconds = Number(params.get('DurationSeconds') ?? 3600);
  if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > role.maxSessionDuration) {
    throw new AwsFault('ValidationError', `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (or is below 900): ${durationSeconds}`);
  }
  // An inline session policy: plain text up to 2048 characters of valid policy JSON (AWS's packed-size check aside).
  const policy = params.get('Policy');
  if (policy !== null) {
    if (policy.length > 2048) throw new AwsFault('ValidationError', "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048");
    let parsed: { Version?: unknown; Statement?: unknown };
    try {
      parsed = JSON.parse(policy) as typeof parsed;
    } catch {
      throw new AwsFault('MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    if (parsed.Version !== '2012-10-17' || !Array.isArray(parsed.Statement) || parsed.Statement.length === 0) throw new AwsFault('MalformedPolicyDocument', 'The policy needs Version 2012-10-17 and at least one Statement.');
  }
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  state.sessions.push({ roleArn, sourceIdentity, sessionName, durationSeconds, accessKeyId, ...(policy !== null && { policy }) });
  const expiration = new Date(Date.now() + durationSeconds * 1000).toISOString();
  return (
    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><SourceIdentity>${sourceIdentity}</SourceIdentity>` +
    `<AssumedRoleUser><Arn>arn:aws:sts::${ACCOUNT_ID}:assumed-role/${role.name}/${sessionName}</Arn><AssumedRoleId>AROAFAKE:${sessionName}</AssumedRoleId></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${randomBytes(20).toString('base64')}</SecretAccessKey><SessionToken>${randomBytes(32).toString('base64')}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
    `</AssumeRoleResult><ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></AssumeRoleResponse>`
  );
}
