/**
 * Starts activation the moment a request is approved, instead of waiting for the reconciler's next sweep
 * (which stays the backstop: the request is due in PostgreSQL either way). Wraps the app's notifier, because
 * "request decided" is already the event every surface hears.
 */
import type { Logger } from 'pino';
import type { Notification, Notifier } from '../core/ports.ts';

export class ActivationKick implements Notifier {
  enabled = false;

  constructor(
    private readonly inner: Notifier,
    private readonly activate: (requestId: string) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  async notify(notification: Notification): Promise<void> {
    await this.inner.notify(notification);
    if (this.enabled && notification.kind === 'request.decided' && notification.request.status === 'APPROVED') {
      const id = notification.request.id;
      this.activate(id).catch((err: unknown) => this.logger.error({ err, requestId: id }, 'activation failed; the reconciler will retry'));
    }
  }
}
