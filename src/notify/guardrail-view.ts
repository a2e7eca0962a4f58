/**
 * The loud alert of a guardrail trip (`guardrail.tripped`) as one platform-neutral view, like request-view.ts for
 * cards: a title, facts, and what to do next. Slack renders it as Block Kit, Teams as an Adaptive Card. It goes to
 * the account's owner and the admins, directly. Text is plain: each renderer escapes it.
 */
import type { GuardrailTripped } from '../core/notification.ts';
import { expandPrincipals } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';

export interface GuardrailAlertView {
  title: string;
  facts: Array<{ label: string; value: string }>;
  /** What an admin does next (unsuspend, or nothing to lift). */
  next: string;
}

const LIST_MAX = 10;

export function buildGuardrailAlert(n: GuardrailTripped): GuardrailAlertView {
  const list = (ids: string[]) => (ids.length === 0 ? 'none' : ids.length > LIST_MAX ? `${ids.slice(0, LIST_MAX).join(', ')} …and ${ids.length - LIST_MAX} more` : ids.join(', '));
  return {
    title: `Guardrail tripped: ${n.serviceAccountId}${n.suspended ? ' suspended' : ''}`,
    facts: [
      { label: 'Service account', value: `${n.serviceAccountId} (owner ${n.ownerId})` },
      { label: 'Reason', value: n.reason },
      { label: 'Rule', value: n.rule ?? `by hand (${n.actorId})` },
      { label: 'Revoked', value: list(n.revoked) },
      { label: 'Cancelled', value: list(n.cancelled) },
      { label: 'At', value: n.at.toISOString() },
    ],
    next: n.suspended
      ? `Its tokens are refused until an admin lifts the suspension: stint service-account unsuspend ${n.serviceAccountId} <comment>`
      : 'The account is not suspended (onGuardrail: revoke): it may ask for access again.',
  };
}

/** Who hears of it: the owner and every admin (people only, once each). */
export function guardrailRecipients(policy: Policy, n: GuardrailTripped, at: Date): string[] {
  return [...new Set([n.ownerId, ...expandPrincipals(policy, policy.admins, at)])].filter((id) => policy.people.get(id)?.disabled === false);
}
