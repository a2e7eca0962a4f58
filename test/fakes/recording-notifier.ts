import type { Notification, Notifier } from '../../src/core/ports.ts';

export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  async notify(notification: Notification): Promise<void> {
    this.sent.push(notification);
  }
}
