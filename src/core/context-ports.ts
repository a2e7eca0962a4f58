/**
 * Ports of a request's context (issue 12): device posture reported by an MDM, and the ticket systems a workflow
 * checks. Kept apart from ports.ts (which re-exports them).
 */
import type { TicketSystem } from '../policy/model.ts';
import type { AuditInput } from './ports.ts';

/** The latest device posture an MDM reported for a person (issue 12: `POST /api/v1/signals/device`). */
export interface DevicePostureRecord {
  personId: string;
  compliant: boolean;
  deviceId: string | null;
  source: string | null;
  reportedAt: Date;
}

export interface DevicePostureStore {
  getDevicePosture(personId: string): Promise<DevicePostureRecord | null>;
  /** Replaces the person's posture; its audit event in the same transaction. */
  saveDevicePosture(record: DevicePostureRecord, audit: AuditInput): Promise<void>;
}

/** A ticket as its system shows it: `state` is the display name (`In Progress`), `url` where a person opens it. */
export interface TicketInfo {
  key: string;
  title: string;
  state: string;
  url: string;
}

/**
 * The ticket systems of the policy's `tickets:` (src/tickets: Jira Cloud, ServiceNow). `lookup` answers null for a
 * ticket the system does not have; both throw UNAVAILABLE when the system cannot be asked (the caller fails closed).
 */
export interface TicketPort {
  lookup(system: TicketSystem, key: string): Promise<TicketInfo | null>;
  comment(system: TicketSystem, key: string, text: string): Promise<void>;
}
