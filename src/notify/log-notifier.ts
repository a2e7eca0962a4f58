/**
 * The notifier used until chat surfaces are configured: it writes each notification to the log, so an
 * operator sees break-glass use and pending approvals even with no Slack or Teams.
 */
import type { Logger } from 'pino';
import type { Notification, Notifier } from '../core/ports.ts';

export class LogNotifier implements Notifier {
  constructor(private readonly logger: Logger) {}

  async notify(n: Notification): Promise<void> {
    switch (n.kind) {
      case 'request.pending':
        this.logger.info({ requestId: n.request.id, approvers: n.approverIds }, `request ${n.request.id} awaits approval`);
        break;
      case 'request.decided':
      case 'request.cancelled':
        this.logger.info({ requestId: n.request.id, status: n.request.status, by: n.actorId }, `request ${n.request.id} is ${n.request.status}`);
        break;
      case 'request.escalated':
        this.logger.warn({ requestId: n.request.id, level: n.level, notify: n.notify, people: n.people }, `request ${n.request.id} escalated (step ${n.level})`);
        break;
      case 'request.reminder':
        this.logger.info({ requestId: n.request.id, approvers: n.approverIds }, `request ${n.request.id} still waits: approvers reminded`);
        break;
      case 'request.timed_out':
        this.logger.info({ requestId: n.request.id }, `request ${n.request.id} timed out: nobody decided within the approval window`);
        break;
      case 'breakglass.used':
        this.logger.warn({ requestId: n.request.id, requester: n.request.requesterId, notify: n.notify, reviewers: n.reviewerIds }, `BREAK-GLASS used by ${n.request.requesterId}`);
        break;
      case 'breakglass.reviewed':
        this.logger.info({ requestId: n.request.id, reviewer: n.actorId, comment: n.request.reviewComment }, `break-glass ${n.request.id} reviewed by ${n.actorId}`);
        break;
      case 'breakglass.review_reminder':
        this.logger.warn({ requestId: n.request.id, reviewers: n.reviewerIds }, `break-glass ${n.request.id} still awaits its review: reviewers reminded`);
        break;
      case 'grant.activated':
      case 'grant.revoked':
        this.logger.info({ requestId: n.request.id, expiresAt: n.request.expiresAt }, `request ${n.request.id}: ${n.kind}`);
        break;
      case 'grant.failed':
      case 'grant.revoke_failed':
        this.logger.error({ requestId: n.request.id, reason: n.reason }, `request ${n.request.id}: ${n.kind}`);
        break;
      case 'grant.extended':
        this.logger.info({ requestId: n.request.id, by: n.actorId, from: n.previousExpiresAt, expiresAt: n.request.expiresAt }, `request ${n.request.id}: grant extended`);
        break;
      case 'grant.expiring':
        this.logger.info({ requestId: n.request.id, requester: n.request.requesterId, minutesLeft: n.minutesLeft }, `request ${n.request.id}: grant ends in ${n.minutesLeft} min`);
        break;
      case 'grant.drift':
        this.logger.error({ requestId: n.request.id, resourceId: n.resourceId, found: n.found, fixed: n.fixed }, `request ${n.request.id}: grant.drift (${n.resourceId} ${n.found})`);
        break;
      case 'guardrail.tripped':
        this.logger.error(
          { serviceAccountId: n.serviceAccountId, rule: n.rule, reason: n.reason, by: n.actorId, suspended: n.suspended, revoked: n.revoked, cancelled: n.cancelled },
          `GUARDRAIL tripped on ${n.serviceAccountId}: ${n.reason}${n.suspended ? ' (account suspended)' : ''}`,
        );
        break;
      case 'policy.reload_failed':
        this.logger.error({ reason: n.message }, 'policy reload failed; keeping the last good policy');
        break;
      default: {
        // A new notification kind must be handled here: the compiler refuses to build until it is.
        const unhandled: never = n;
        this.logger.warn({ notification: unhandled }, 'unhandled notification');
      }
    }
  }
}
