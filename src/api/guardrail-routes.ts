/**
 * Guardrails and service accounts over REST (issue 10): a resource server or an admin trips a guardrail; admins
 * list service accounts and suspend or unsuspend them. Parse → use case → render.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actsAsAdmin, type Actor } from '../core/actor.ts';
import type { ServiceAccountRecord } from '../core/ports.ts';
import { suspendServiceAccount } from '../core/suspend-service-account.ts';
import { tripGuardrail, type GuardrailPorts } from '../core/trip-guardrail.ts';
import { unsuspendServiceAccount } from '../core/unsuspend-service-account.ts';
import { StintError } from '../domain/errors.ts';
import type { Policy } from '../policy/model.ts';
import { SuspendBody, TripGuardrailBody, UnsuspendBody } from './guardrail-schemas.ts';
import { parseWith } from './parse.ts';

export interface GuardrailRouteDeps {
  ports: GuardrailPorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
}

export function registerGuardrailRoutes(server: FastifyInstance, deps: GuardrailRouteDeps): void {
  const { ports } = deps;

  server.post('/api/v1/guardrails/trip', async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(TripGuardrailBody, req.body);
    return tripGuardrail(actor, body, ports);
  });

  server.get('/api/v1/service-accounts', async (req) => {
    const actor = await deps.authenticate(req);
    const policy = ports.policy.current();
    if (!actsAsAdmin(policy, actor)) throw new StintError('FORBIDDEN', 'Only an admin can list service accounts');
    const rows = new Map((await ports.accounts.listServiceAccounts()).map((row) => [row.id, row]));
    return { serviceAccounts: [...policy.serviceAccounts.keys()].sort().map((id) => accountView(policy, id, rows.get(id))) };
  });

  server.post<{ Params: { id: string } }>('/api/v1/service-accounts/:id/suspend', async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(SuspendBody, req.body);
    const row = await suspendServiceAccount(actor, { serviceAccountId: req.params.id, comment: body.comment }, ports);
    return accountView(ports.policy.current(), req.params.id, row);
  });

  server.post<{ Params: { id: string } }>('/api/v1/service-accounts/:id/unsuspend', async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(UnsuspendBody, req.body);
    const row = await unsuspendServiceAccount(actor, { serviceAccountId: req.params.id, comment: body.comment ?? null }, ports);
    return accountView(ports.policy.current(), req.params.id, row);
  });
}

/** The policy's view of an account with its row's suspension (no row yet: not suspended). */
function accountView(policy: Policy, id: string, row: ServiceAccountRecord | undefined) {
  const account = policy.serviceAccounts.get(id)!;
  return {
    id,
    owner: account.owner,
    suspended: row?.suspended ?? false,
    suspendedAt: row?.suspendedAt?.toISOString() ?? null,
    suspendedReason: row?.suspendedReason ?? null,
    onGuardrail: account.onGuardrail,
    maxJitDuration: account.maxJitDurationSec,
  };
}
