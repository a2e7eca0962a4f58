/**
 * Who may watch a `stint ssh` session again (issue 8/12 session evidence): its requester, an approver who decided
 * the request or may decide it now, an admin, or a token with `audit:read`. Anyone else gets NOT_FOUND, as for the
 * request itself. The answer carries the `session.recorded` audit event, so a client can check the recording's hash
 * against the chain without the audit scope.
 */
import { StintError } from '../domain/errors.ts';
import { actsAsAdmin, hasScope, type Actor } from './actor.ts';
import type { AuditRecord, CorePorts, SessionRecordingRecord } from './ports.ts';
import { notFound, speaksForRequester, currentApprovers } from './visibility.ts';

export interface RecordingPorts extends Pick<CorePorts, 'store' | 'policy' | 'clock'> {
  recordings: {
    latestSessionRecording(requestId: string): Promise<SessionRecordingRecord | null>;
    sessionRecordedEvent(requestId: string, recordingId: string): Promise<AuditRecord | null>;
  };
}

export async function readRecording(actor: Actor, requestId: string, ports: RecordingPorts): Promise<{ recording: SessionRecordingRecord; event: AuditRecord | null }> {
  const policy = ports.policy.current();
  const request = await ports.store.getRequest(requestId);
  if (!request) throw notFound(requestId);
  const decided = (await ports.store.listDecisions(request.id)).some((d) => d.approverId === actor.id);
  const allowed =
    speaksForRequester(policy, actor, request) || decided || currentApprovers(policy, request, ports.clock.now()).includes(actor.id) || actsAsAdmin(policy, actor) || hasScope(actor, 'audit:read');
  if (!allowed) throw notFound(requestId);
  const recording = await ports.recordings.latestSessionRecording(request.id);
  if (!recording) throw new StintError('NOT_FOUND', `${request.id} has no session recording (it was not used with stint ssh, or its session is still open)`, { id: request.id });
  return { recording, event: await ports.recordings.sessionRecordedEvent(request.id, recording.id) };
}
