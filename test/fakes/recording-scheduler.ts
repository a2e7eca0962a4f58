/** A Scheduler that records the timers use cases ask for (unit tests); nothing fires by itself. */
import type { Scheduler } from '../../src/core/ports.ts';

export type ScheduledTimer =
  | { kind: 'activate'; requestId: string }
  | { kind: 'revoke'; requestId: string; key: string; at: Date }
  | { kind: 'remind'; requestId: string; generation: number; at: Date }
  | { kind: 'escalate'; requestId: string; key: string; at: Date };

export class RecordingScheduler implements Scheduler {
  readonly timers: ScheduledTimer[] = [];

  async activateSoon(requestId: string): Promise<void> {
    this.timers.push({ kind: 'activate', requestId });
  }
  async revokeAt(requestId: string, key: string, at: Date): Promise<void> {
    this.timers.push({ kind: 'revoke', requestId, key, at });
  }
  async remindAt(requestId: string, generation: number, at: Date): Promise<void> {
    this.timers.push({ kind: 'remind', requestId, generation, at });
  }
  async escalateAt(requestId: string, key: string, at: Date): Promise<void> {
    this.timers.push({ kind: 'escalate', requestId, key, at });
  }
  of(requestId: string): ScheduledTimer[] {
    return this.timers.filter((t) => t.requestId === requestId);
  }
}
