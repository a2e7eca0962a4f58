/**
 * Ports of launch sessions (issue 8: `stint ssh` through the SSH gateway): where their recordings are kept. Kept apart
 * from ports.ts (which re-exports them).
 */
import type { AuditInput, AuditRecord } from './ports.ts';

/** One recorded gateway session: asciicast v2 text (output only) and the SHA-256 of its exact UTF-8 bytes. */
export interface SessionRecordingRecord {
  id: string;
  requestId: string;
  resourceId: string;
  personId: string;
  startedAt: Date;
  endedAt: Date;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  exitStatus: number | null;
  content: string;
}

export interface SessionRecordingStore {
  /** Stores the recording and appends `audit` (the `session.recorded` event carrying its hash) in one transaction. */
  saveSessionRecording(recording: SessionRecordingRecord, audit: AuditInput): Promise<void>;
  /** The request's latest recording, or null when it has none. */
  latestSessionRecording(requestId: string): Promise<SessionRecordingRecord | null>;
  /** The `session.recorded` audit event of this recording (it names the recording and its hash), or null. */
  sessionRecordedEvent(requestId: string, recordingId: string): Promise<AuditRecord | null>;
}
