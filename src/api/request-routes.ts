/** REST routes for requests: parse → call the use case → render the request view (DESIGN.md section 6). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.ts';
import { cancelRequest } from '../core/cancel-request.ts';
import { activateGrant } from '../core/activate-grant.ts';
import { acknowledgeReview } from '../core/acknowledge-review.ts';
import { createRequest } from '../core/create-request.ts';
import { refuseLaunchOptions } from '../core/check-launch.ts';
import { decideRequest } from '../core/decide-request.ts';
import { getRequest, listRequests } from '../core/list-requests.ts';
import { endGrant } from '../core/end-grant.ts';
import { escalateToHuman } from '../core/escalate-to-human.ts';
import { extendGrant } from '../core/extend-grant.ts';
import type { CorePorts, DevicePostureStore, GrantPorts } from '../core/ports.ts';
import { presentRequest } from '../core/present-request.ts';
import { revealCredential } from '../core/reveal-credential.ts';
import type { AccessRequest } from '../domain/request.ts';
import { reportDevicePosture } from '../core/report-device-posture.ts';
import { requestSource } from './http-server.ts';
import { parseWith } from './parse.ts';
import { CommentBody, CreateRequestBody, DecisionBody, DevicePostureBody, EscalateBody, ExtendBody, ListQuery, RevealBody, ReviewBody } from './schemas.ts';

export interface ApiDeps {
  core: CorePorts;
  grants: GrantPorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
  devices: DevicePostureStore;
}

const BASE = '/api/v1/credentials/jit';

export function registerRequestRoutes(server: FastifyInstance, deps: ApiDeps): void {
  const { core } = deps;
  const view = async (request: AccessRequest) =>
    presentRequest(request, await core.store.listDecisions(request.id), core.policy.current(), core.clock.now());

  server.post(BASE, async (req, reply) => {
    const actor = await deps.authenticate(req);
    refuseLaunchOptions(req.body);
    const { reasoning, ...body } = parseWith(CreateRequestBody, req.body);
    const result = await createRequest(actor, { ...body, identityId: body.identityId ?? actor.id, agentReasoning: reasoning ?? null, source: requestSource(req, core.policy.current()) }, core);
    // Break-glass is granted inline, in this call: it must work when Redis or the workers are down (the
    // queued activation then finds it done; the lease keeps the provider call single).
    const created = result.request.breakGlass && result.request.status === 'APPROVED' ? ((await activateGrant(result.request.id, deps.grants)).request ?? result.request) : result.request;
    const answer = {
      ...(await view(created)),
      ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
      ...(result.deniedBecause ? { deniedBecause: result.deniedBecause } : {}),
    };
    return reply.status(201).send(answer);
  });

  server.get<{ Params: { id: string } }>(`${BASE}/:id`, async (req) => {
    const actor = await deps.authenticate(req);
    return getRequest(actor, req.params.id, core);
  });

  for (const verdict of ['approve', 'deny'] as const) {
    server.post<{ Params: { id: string } }>(`${BASE}/:id/${verdict}`, async (req) => {
      const actor = await deps.authenticate(req);
      const body = parseWith(DecisionBody, req.body);
      const result = await decideRequest(actor, { requestId: req.params.id, verdict, comment: body.comment, reasoning: body.reasoning ?? null, mfaCode: body.mfaCode ?? null }, core);
      return presentRequest(result.request, result.decisions, core.policy.current(), core.clock.now());
    });
  }

  // An agent approver (or a person) hands the request to people: only they decide it from now on.
  server.post<{ Params: { id: string } }>(`${BASE}/:id/escalate`, async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(EscalateBody, req.body);
    return view((await escalateToHuman(actor, { requestId: req.params.id, reasoning: body.reasoning }, core)).request);
  });

  server.post<{ Params: { id: string } }>(`${BASE}/:id/cancel`, async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(CommentBody, req.body);
    return view(await cancelRequest(actor, { requestId: req.params.id, comment: body.comment }, core));
  });

  for (const [verb, cause] of [['done', 'done'], ['revoke', 'revoked']] as const) {
    server.post<{ Params: { id: string } }>(`${BASE}/:id/${verb}`, async (req) => {
      const actor = await deps.authenticate(req);
      const body = parseWith(CommentBody, req.body);
      return view(await endGrant(actor, { requestId: req.params.id, cause, comment: body.comment }, deps.grants));
    });
  }

  server.post<{ Params: { id: string } }>(`${BASE}/:id/extend`, async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(ExtendBody, req.body);
    return view(await extendGrant(actor, { requestId: req.params.id, duration: body.duration, comment: body.comment }, deps.grants));
  });

  // Invariant 6: the password exists only in this answer. Fastify logs requests and responses without bodies,
  // and nothing here logs; no-store keeps it out of caches on the way.
  server.post<{ Params: { id: string } }>(`${BASE}/:id/credential`, async (req, reply) => {
    const actor = await deps.authenticate(req);
    parseWith(RevealBody, req.body);
    const credentials = await revealCredential(actor, req.params.id, deps.grants);
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return { requestId: req.params.id, credentials: credentials.map((c) => ({ ...c, expiresAt: c.expiresAt.toISOString() })) };
  });

  server.get('/api/v1/requests', async (req) => {
    const actor = await deps.authenticate(req);
    const query = parseWith(ListQuery, req.query);
    return { requests: await listRequests(actor, { statuses: query.status, view: query.view, review: query.review, limit: query.limit }, core) };
  });

  // An MDM's webhook: the device posture of a person's device (issue 12), for the context of their next requests.
  server.post('/api/v1/signals/device', async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(DevicePostureBody, req.body);
    const record = await reportDevicePosture(actor, body, { devices: deps.devices, policy: core.policy, clock: core.clock });
    return { ...record, reportedAt: record.reportedAt.toISOString() };
  });

  // Break-glass follow-up review (issue 7): a reviewer acknowledges; a repeat answers 200 with the unchanged view.
  server.post<{ Params: { id: string } }>(`${BASE}/:id/review`, async (req) => {
    const actor = await deps.authenticate(req);
    const body = parseWith(ReviewBody, req.body);
    return view((await acknowledgeReview(actor, { requestId: req.params.id, comment: body.comment ?? null }, core)).request);
  });
}
