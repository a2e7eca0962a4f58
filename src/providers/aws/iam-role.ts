/**
 * `mode: iam-role`: the person assumes one IAM role through Stint. A grant records the request's
 * `SourceIdentity` (`stint-<request id>`); `credential()` calls STS AssumeRole with it, for the grant's remaining
 * time (at least 900 s, STS's floor; at most the role's MaxSessionDuration). STS sessions cannot be revoked, so
 * revoke — early or at expiry — attaches to the role an inline policy `stint-revoke-<request id>` denying
 * everything to sessions whose `aws:SourceIdentity` is this request's, which cuts no one else's sessions.
 */
import { DeleteRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { awsSessionPolicy, isNarrowedAwsStatement } from '../../domain/narrowing.ts';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget, MintedCredential } from '../../core/ports.ts';
import { awsErrorCode, type AwsClients } from './aws-clients.ts';
import { awsCall, awsFailure } from './aws-errors.ts';
import { roleNameOf, type IamRoleConfig } from './aws-config.ts';

export interface IamRoleHandle extends GrantHandleData {
  mode: 'iam-role';
  roleArn: string;
  sourceIdentity: string;
  sessionName: string;
  /** The inline deny policy revoke attaches to the role. */
  denyPolicy: string;
  /** The grant's end (ISO): the session length asked of STS is counted from it. */
  expiresAt: string;
  /** A task-narrowed request's inline session policy (issue 12): every session it assumes may do at most this. */
  sessionPolicy?: string;
  preexisting: false;
}

/** STS's shortest session: a grant that ends sooner still hands out 15 minutes (and revoke cuts them). */
export const STS_MIN_SESSION_SEC = 900;
const DENY_PREFIX = 'stint-revoke-';
const STS_NAME = /[^\w+=,.@-]/g;

/** STS names (SourceIdentity, RoleSessionName): 2–64 characters of [\w+=,.@-]. */
function stsName(raw: string): string {
  return raw.replace(STS_NAME, '-').slice(0, 64);
}

export function sourceIdentityOf(requestId: string): string {
  return stsName(`stint-${requestId}`);
}

/** The inline deny policy of a request; IAM policy names allow [\w+=,.@-], at most 128. */
export function denyPolicyName(requestId: string): string {
  return `${DENY_PREFIX}${requestId}`.replace(STS_NAME, '-').slice(0, 128);
}

/** The deny attached on revoke: everything, only for sessions carrying this request's SourceIdentity. */
export function denyPolicyDocument(sourceIdentity: string, revokedAt: Date): string {
  const stamp = revokedAt.toISOString().replace(/[-:]|\.\d+/g, '');
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      // The Sid carries the revoke time: once the role's MaxSessionDuration has passed, no session it cut can
      // still be valid and the policy may be deleted.
      { Sid: `StintRevoke${stamp.replace(/[^A-Za-z0-9]/g, '')}`, Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:SourceIdentity': sourceIdentity } } },
    ],
  });
}

function subjectOf(roleArn: string): string {
  return `role ${roleArn}`;
}

const ROLE_FIX = 'fix roleArn in the resource (the role must exist in the account)';

async function getRole(clients: AwsClients, roleArn: string) {
  const found = await awsCall('iam:GetRole', subjectOf(roleArn), () => clients.iam.send(new GetRoleCommand({ RoleName: roleNameOf(roleArn) })), ROLE_FIX);
  if (!found.Role) throw new StintError('UNAVAILABLE', `aws: iam:GetRole returned no role for ${roleArn}`);
  return found.Role;
}

export async function grantIamRole(clients: AwsClients, config: IamRoleConfig, target: GrantTarget): Promise<IamRoleHandle> {
  await getRole(clients, config.roleArn);
  const policyName = denyPolicyName(target.requestId);
  // A grant retried after its own rollback (the deny was attached then) must work again: drop that deny.
  try {
    await clients.iam.send(new DeleteRolePolicyCommand({ RoleName: roleNameOf(config.roleArn), PolicyName: policyName }));
  } catch (error) {
    if (awsErrorCode(error) !== 'NoSuchEntity') throw awsFailure(error, 'iam:DeleteRolePolicy', subjectOf(config.roleArn));
  }
  return {
    mode: 'iam-role',
    roleArn: config.roleArn,
    sourceIdentity: sourceIdentityOf(target.requestId),
    sessionName: stsName(`${target.principalId}-${target.requestId}`),
    denyPolicy: policyName,
    expiresAt: target.expiresAt.toISOString(),
    ...(target.narrowing && { sessionPolicy: awsSessionPolicy(target.narrowing.filter(isNarrowedAwsStatement)) }),
    preexisting: false,
  };
}

/** After the longest session a revoked request could hold, plus this margin, its deny has nothing left to cut. */
const CLEANUP_MARGIN_MS = 3600_000;

/** The revoke time a deny policy's Sid carries (`StintRevoke20261202T023300Z`), or null for any other policy. */
export function revokedAtOf(document: string): Date | null {
  try {
    const sid = String(JSON.parse(document).Statement?.[0]?.Sid ?? '');
    const m = /^StintRevoke(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(sid);
    return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : null;
  } catch {
    return null;
  }
}

/**
 * Deletes other requests' deny policies older than the role's MaxSessionDuration (+1 h): every session they cut
 * has expired by then. Inline policies of a role share a 10,240-character quota, so without this a busy role
 * would refuse new denies after a few dozen revokes. Best effort: a failure here never fails the revoke.
 */
async function removeSpentDenies(clients: AwsClients, h: IamRoleHandle, now: Date): Promise<void> {
  const RoleName = roleNameOf(h.roleArn);
  try {
    const role = await getRole(clients, h.roleArn);
    const maxAgeMs = (role.MaxSessionDuration ?? 3600) * 1000 + CLEANUP_MARGIN_MS;
    let Marker: string | undefined;
    do {
      const page = await clients.iam.send(new ListRolePoliciesCommand({ RoleName, Marker }));
      for (const PolicyName of page.PolicyNames ?? []) {
        if (!PolicyName.startsWith(DENY_PREFIX) || PolicyName === h.denyPolicy) continue;
        const policy = await clients.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }));
        const revokedAt = revokedAtOf(decodeURIComponent(policy.PolicyDocument ?? ''));
        if (revokedAt && now.getTime() - revokedAt.getTime() > maxAgeMs) await clients.iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName }));
      }
      Marker = page.IsTruncated ? page.Marker : undefined;
    } while (Marker);
  } catch {
    // Left for the next revoke (or an admin): the new deny below is what matters now.
  }
}

export async function revokeIamRole(clients: AwsClients, h: IamRoleHandle, now: Date): Promise<void> {
  await removeSpentDenies(clients, h, now);
  try {
    await clients.iam.send(
      new PutRolePolicyCommand({ RoleName: roleNameOf(h.roleArn), PolicyName: h.denyPolicy, PolicyDocument: denyPolicyDocument(h.sourceIdentity, now) }),
    );
  } catch (error) {
    // The role is gone: nobody can use it any more, which is what revoke wants.
    if (awsErrorCode(error) === 'NoSuchEntity') return;
    throw awsFailure(error, 'iam:PutRolePolicy', subjectOf(h.roleArn));
  }
}

export async function checkIamRole(clients: AwsClients, h: IamRoleHandle, now: Date): Promise<'present' | 'absent'> {
  try {
    await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleNameOf(h.roleArn), PolicyName: h.denyPolicy }));
    return 'absent';
  } catch (error) {
    if (awsErrorCode(error) !== 'NoSuchEntity') throw awsFailure(error, 'iam:GetRolePolicy', subjectOf(h.roleArn));
  }
  // No deny: present while the role exists and the grant has not ended.
  if (now.getTime() >= Date.parse(h.expiresAt)) return 'absent';
  try {
    await clients.iam.send(new GetRoleCommand({ RoleName: roleNameOf(h.roleArn) }));
    return 'present';
  } catch (error) {
    if (awsErrorCode(error) === 'NoSuchEntity') return 'absent';
    throw awsFailure(error, 'iam:GetRole', subjectOf(h.roleArn));
  }
}

/** The session length STS is asked for: the grant's remaining time, within [900 s, MaxSessionDuration]. */
export function sessionSeconds(expiresAt: Date, now: Date, maxSessionSec: number): number {
  const remaining = Math.ceil((expiresAt.getTime() - now.getTime()) / 1000);
  return Math.min(Math.max(remaining, STS_MIN_SESSION_SEC), maxSessionSec);
}

export async function mintIamRoleCredential(clients: AwsClients, h: IamRoleHandle, now: Date): Promise<MintedCredential> {
  const grantEnd = new Date(h.expiresAt);
  if (now >= grantEnd) throw new StintError('NOT_PENDING', `the grant of ${h.roleArn} has ended; request access again`);
  const role = await getRole(clients, h.roleArn);
  const durationSec = sessionSeconds(grantEnd, now, role.MaxSessionDuration ?? 3600);
  const assumed = await awsCall('sts:AssumeRole', subjectOf(h.roleArn), () =>
    clients.sts.send(new AssumeRoleCommand({ RoleArn: h.roleArn, RoleSessionName: h.sessionName, SourceIdentity: h.sourceIdentity, DurationSeconds: durationSec, ...(h.sessionPolicy && { Policy: h.sessionPolicy }) })),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new StintError('UNAVAILABLE', `aws: sts:AssumeRole returned no credentials for ${h.roleArn}`);
  const expiresAt = c.Expiration;
  // The credential_process format (Version 1): the AWS CLI and SDKs read it as is.
  const password = JSON.stringify({ Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: expiresAt.toISOString() });
  // STS's floor made the session outlive the grant: the deny at the grant's end is what cuts it.
  const outlives = grantEnd.getTime() - now.getTime() < STS_MIN_SESSION_SEC * 1000;
  const hint =
    `Temporary AWS credentials for ${h.roleArn} as credential_process JSON: save them to a file and set ` +
    `"credential_process = cat <file>" in a ~/.aws/config profile, or export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN from it.` +
    (outlives
      ? ` Your grant ends at ${grantEnd.toISOString()}, before these credentials (STS sessions last at least 15 minutes): Stint cuts them at the grant's end with a deny on your session's SourceIdentity, which takes a few seconds to apply.`
      : '');
  // Access ends with the grant even when the session could live longer.
  const usableUntil = expiresAt.getTime() > grantEnd.getTime() ? grantEnd : expiresAt;
  return { username: assumed.AssumedRoleUser?.Arn ?? h.sessionName, password, expiresAt: usableUntil, hint };
}
