/**
 * What an LDAP failure means for Stint: transient ones (the server is down, busy, or the connection dropped) are
 * retried by ldap-connection.ts; the rest can never work until someone changes the directory or the policy, so
 * they become POLICY_INVALID with a message that says what to fix. LDAP's own messages never hold the bind
 * password (only the DN is sent beside it, and only in the bind), so quoting them is safe.
 */
import {
  BusyError,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  ObjectClassViolationError,
  ResultCodeError,
  UnavailableError,
  UnwillingToPerformError,
} from 'ldapts';
import { StintError } from '../../domain/errors.ts';

/** One directory operation, in words, for the messages of its refusals. */
export interface LdapOperation {
  /** What Stint tried, e.g. "modify". */
  action: string;
  /** The DN it tried it on. */
  target: string;
  /** The access the bind DN needs for it, e.g. "write access to the member and description attributes". */
  access: string;
  /** What to do when `target` does not exist (noSuchObject). */
  missing?: string;
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** Worth another attempt: network trouble, a timeout, a dropped connection, or the server saying busy/unavailable. */
export function isTransient(error: unknown): boolean {
  if (error instanceof BusyError || error instanceof UnavailableError) return true;
  if (error instanceof ResultCodeError) return false;
  if (error instanceof StintError) return false;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /timed? ?out|Connection closed|Socket error|socket hang up/i.test(message);
}

/** The bind itself was refused: a wrong DN or password, or an account the directory disabled. */
export function bindRefusal(error: unknown, bindDn: string, url: string): StintError | null {
  if (error instanceof InvalidCredentialsError) {
    return new StintError('POLICY_INVALID', `ldap: ${url} refused the bind of ${bindDn} (invalid credentials); check bindDn and the password its bindPassword reference holds`);
  }
  if (error instanceof UnwillingToPerformError || error instanceof InsufficientAccessError) {
    return new StintError('POLICY_INVALID', `ldap: ${url} refused the bind of ${bindDn} (${error.message}); check that the account is enabled and may bind`);
  }
  return null;
}

/** A refusal of `operation` as POLICY_INVALID (null for transient errors, which the caller retries). */
export function operationRefusal(error: unknown, operation: LdapOperation, who: { bindDn: string; url: string }): StintError | null {
  if (error instanceof StintError) return error;
  if (isTransient(error)) return null;
  const { action, target } = operation;
  if (error instanceof InsufficientAccessError) {
    return new StintError('POLICY_INVALID', `ldap: the bind DN ${who.bindDn} may not ${action} ${target}: grant it ${operation.access}`, { ldapCode: error.code });
  }
  if (error instanceof NoSuchObjectError) {
    return new StintError('POLICY_INVALID', `ldap: ${target} does not exist on ${who.url}; ${operation.missing ?? 'check the DN in the resource'}`, { ldapCode: error.code });
  }
  if (error instanceof ObjectClassViolationError) {
    return new StintError('POLICY_INVALID', `ldap: the schema refused to ${action} ${target} (${error.message}); a groupOfNames or groupOfUniqueNames needs at least one member left — give the group a permanent member`, { ldapCode: error.code });
  }
  if (error instanceof ResultCodeError) {
    return new StintError('POLICY_INVALID', `ldap: the directory refused to ${action} ${target}: ${error.message} (result code ${error.code})`, { ldapCode: error.code });
  }
  return new StintError('POLICY_INVALID', `ldap: could not ${action} ${target}: ${error instanceof Error ? error.message : String(error)}`);
}
