/**
 * Per-channel pacing in this process: at most one message per `intervalMs` to the same channel (Slack allows
 * about one a second per channel), and a channel that answered "rate limited" waits out its Retry-After.
 * Channels are independent: a slow one never holds up another.
 */

export interface ChannelPacerOptions {
  /** @defaultValue 1000 */
  intervalMs?: number;
  /** Injected in tests. @defaultValue setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export class ChannelPacer {
  private readonly next = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ChannelPacerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits for this channel's turn and takes it. */
  async take(channel: string): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next.get(channel) ?? 0);
    this.next.set(channel, at + this.intervalMs);
    if (this.next.size > 10_000) this.forgetIdle(now);
    if (at > now) await this.sleep(at - now);
  }

  /** Nothing more to this channel for `ms` (a Retry-After). */
  holdOff(channel: string, ms: number): void {
    this.next.set(channel, Math.max(this.next.get(channel) ?? 0, Date.now() + ms));
  }

  private forgetIdle(now: number): void {
    for (const [channel, at] of this.next) if (at < now) this.next.delete(channel);
  }
}
