/**
 * Stint's marker on a group (membership.ts): one `description` value per grant,
 * `stint-grant <grantId> added|preexisting <requestId> <resourceId> <value>`. The ids are URI-encoded so a space in
 * one can never shift the fields; the value is last, as written, so it may hold spaces (DNs often do).
 */
export interface Marker {
  /** The description value as stored (what a revoke deletes). */
  raw: string;
  grantId: string;
  preexisting: boolean;
  requestId: string;
  resourceId: string;
  value: string;
}

const MARKER = /^stint-grant ([0-9a-f]{16}) (added|preexisting) (\S+) (\S+) (.+)$/;

export function formatMarker(marker: Omit<Marker, 'raw'>): string {
  const state = marker.preexisting ? 'preexisting' : 'added';
  return `stint-grant ${marker.grantId} ${state} ${encodeURIComponent(marker.requestId)} ${encodeURIComponent(marker.resourceId)} ${marker.value}`;
}

/** The marker in a description value; [] for any other description (not Stint's, or malformed). */
export function parseMarker(text: string): Marker[] {
  const match = MARKER.exec(text);
  if (!match) return [];
  try {
    return [{ raw: text, grantId: match[1]!, preexisting: match[2] === 'preexisting', requestId: decodeURIComponent(match[3]!), resourceId: decodeURIComponent(match[4]!), value: match[5]! }];
  } catch {
    return []; // a malformed escape: not ours after all
  }
}
