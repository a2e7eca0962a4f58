/**
 * Deterministic ARM resource names: a name-based UUID (RFC 9562 version 5, SHA-1) of the request scope, so a
 * retried grant PUTs the same role assignment (or schedule request) instead of a second one.
 */
import { createHash } from 'node:crypto';

/** Stint's own namespace for version-5 UUIDs (a fixed random GUID). */
const STINT_NAMESPACE = 'b7e3f0a2-5c1d-4e8f-9a6b-2d4c8e1f3a57';

export function nameBasedUuid(name: string, namespace: string = STINT_NAMESPACE): string {
  const hash = createHash('sha1').update(Buffer.from(namespace.replaceAll('-', ''), 'hex')).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The name of what one request's scope creates: request, resource, ARM scope and role all count. */
export function grantName(parts: { requestId: string; resourceId: string; scope: string; roleDefinitionId: string }): string {
  return nameBasedUuid([parts.requestId, parts.resourceId, parts.scope.toLowerCase(), parts.roleDefinitionId.toLowerCase()].join('\0'));
}

/** The description Stint writes on what it creates; the prefix is how a later grant tells Stint's from a person's. */
export const STINT_MARK = 'Stint JIT ';

export function stintDescription(requestId: string, expiresAt: Date): string {
  return `${STINT_MARK}${requestId} until ${expiresAt.toISOString()}`;
}

/** The request id in a description Stint wrote ("Stint JIT <id> until <iso>"), else undefined. */
export function requestIdOf(description: string | undefined): string | undefined {
  return description?.startsWith(STINT_MARK) ? /^Stint JIT (\S+) until \S+$/.exec(description)?.[1] : undefined;
}
