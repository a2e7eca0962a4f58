/**
 * AWS SDK errors turned into StintErrors that say what to fix: a denial names the missing permission, a
 * missing entity names the config key, throttling that outlived the retries says to try again. Messages carry
 * AWS's error code and ARNs/ids only, never a credential.
 */
import { StintError } from '../../domain/errors.ts';
import { awsErrorCode } from './aws-clients.ts';

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
/** The credential itself is refused (unknown key, wrong secret, expired session), whatever the permissions. */
const BAD_CREDENTIAL = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'SignatureDoesNotMatch']);
const NOT_FOUND = new Set(['NoSuchEntity', 'NoSuchEntityException', 'ResourceNotFoundException']);
const BUSY = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailable', 'InternalFailure', 'InternalServerException', 'ServiceFailure']);

/**
 * `action` is the AWS API (e.g. `sso:CreateAccountAssignment`), `subject` what it was about ("permission set
 * ps-… on account 1234…"), `fix` for a missing subject what to correct in the policy.
 */
export function awsFailure(error: unknown, action: string, subject: string, fix = 'check the resource configuration'): StintError {
  const code = awsErrorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (code && DENIED.has(code)) {
    return new StintError('FORBIDDEN', `aws: ${action} was denied for ${subject} (${code}); give Stint's AWS credential the ${action} permission (README: aws provider)`, { awsCode: code, action });
  }
  if (code && BAD_CREDENTIAL.has(code)) {
    return new StintError('FORBIDDEN', `aws: ${action} for ${subject}: AWS refused Stint's credential (${code}); check the resource's credentials references or the SDK's default chain`, { awsCode: code, action });
  }
  if (code && NOT_FOUND.has(code)) {
    return new StintError('POLICY_INVALID', `aws: ${subject} was not found by ${action} (${code}: ${detail}); ${fix}`, { awsCode: code, action });
  }
  if (code && BUSY.has(code)) {
    return new StintError('UNAVAILABLE', `aws: ${action} for ${subject} is throttled or unavailable after retries (${code}); try again in a moment`, { awsCode: code, action });
  }
  if (code) return new StintError('UNAVAILABLE', `aws: ${action} for ${subject} failed (${code}: ${detail})`, { awsCode: code, action });
  return new StintError('UNAVAILABLE', `aws: ${action} for ${subject} failed (${detail})`, { action });
}

/** Runs one AWS call, turning its failure into an awsFailure. */
export async function awsCall<T>(action: string, subject: string, call: () => Promise<T>, fix?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StintError) throw error;
    throw awsFailure(error, action, subject, fix);
  }
}
