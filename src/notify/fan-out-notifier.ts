/**
 * One notification to every configured notifier (the log, Slack, later Teams and pagers). Each runs on its
 * own: one failing does not stop the others, and a notifier's error never reaches the use case that notified
 * (the state change already committed; a lost notice must not turn it into an error).
 */
import type { Logger } from 'pino';
import type { Notification, Notifier } from '../core/ports.ts';

export class FanOutNotifier implements Notifier {
  private readonly notifiers: Notifier[];

  constructor(
    notifiers: Notifier[],
    private readonly logger: Logger,
  ) {
    this.notifiers = [...notifiers];
  }

  /** Adds a notifier built after this one was handed to the use cases (a chat surface). */
  add(notifier: Notifier): void {
    this.notifiers.push(notifier);
  }

  async notify(notification: Notification): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map(async (n) => n.notify(notification)));
    for (const result of results) {
      if (result.status === 'rejected') {
        const requestId = 'request' in notification ? notification.request.id : undefined;
        this.logger.error({ err: result.reason, kind: notification.kind, requestId }, 'a notifier failed; the others were still told');
      }
    }
  }
}
