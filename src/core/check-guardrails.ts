/**
 * The policy's guardrails, asked on each introspection of a service account's credential (the introspection
 * use case calls the `GuardrailCheck` this returns). The rules that watch the account are evaluated in policy
 * order against the request the credential belongs to; the first that matches trips the guardrail
 * (trip-guardrail.ts) and the answer is true. An account no rule watches costs nothing: no evaluation. The
 * request's reason and ticket come with the introspection's own read (and its cache): a watched one costs no read.
 *
 * `request.hour` and `request.weekday` are those of the introspection, in the policy's timezone: a guardrail
 * judges the moment of use, not the moment of asking.
 *
 * A rule that errors at run time (rules are compiled and type-checked at load, so this is a data-dependent
 * failure such as `int(request.reason)` on a reason that is no number) counts as not matching, and is reported
 * through `warn`. Failing closed here would mean suspending an agent and revoking every grant it holds because
 * of a flaw in the policy rather than anything the agent did — an outage that only an admin can lift, on every
 * introspection, for every account the rule watches. Guardrails are a second line: the credential's scopes and
 * expiry are enforced by the introspection whatever a rule says.
 */
import { guardrailProgram, watches, type GuardrailFacts } from '../policy/cel-guardrail.ts';
import { localParts } from '../policy/zoned-time.ts';
import type { GuardrailCheck } from './ports.ts';
import { applyTrip, type GuardrailPorts } from './trip-guardrail.ts';

export interface CheckGuardrailsPorts extends GuardrailPorts {
  /** Told about a rule that could not be evaluated (the composition root logs it as an alert). */
  warn(data: Record<string, unknown>, message: string): void;
}

export function checkGuardrails(ports: CheckGuardrailsPorts): GuardrailCheck {
  return async (input) => {
    const policy = ports.policy.current();
    const rules = policy.guardrails.filter((g) => watches(g, input.serviceAccountId));
    if (rules.length === 0) return false;
    const { request } = input;
    // Defence in depth: a trip revokes this request, so it must be the watched account's own.
    if (request.requesterId !== input.serviceAccountId) return false;
    const local = localParts(ports.clock.now(), policy.timezone);
    const facts: GuardrailFacts = {
      introspection: { scope: input.askedScope ?? '', resourceServer: input.resourceServerId },
      credential: { scopes: [...input.credentialScopes] },
      request: { reason: request.reason, ticket: request.ticket ?? '', hour: local.hour, weekday: local.weekday },
      serviceAccount: input.serviceAccountId,
    };
    for (const rule of rules) {
      const compiled = guardrailProgram(rule);
      const result = 'error' in compiled ? compiled : compiled.program(facts);
      if ('error' in result) {
        ports.warn({ guardrail: rule.id, serviceAccountId: input.serviceAccountId, requestId: input.requestId, error: result.error }, `guardrail ${rule.id} could not be evaluated (${result.error}); treated as not matching — fix the rule`);
        continue;
      }
      if (!result.value) continue;
      await applyTrip(
        'policy',
        {
          serviceAccountId: input.serviceAccountId,
          reason: `guardrail ${rule.id} matched`,
          rule: rule.id,
          requestId: input.requestId,
          context: { resourceServer: input.resourceServerId, askedScope: input.askedScope, credentialScopes: input.credentialScopes },
        },
        ports,
      );
      return true;
    }
    return false;
  };
}
