/**
 * Tools for agents (and people) asking for access over MCP: each a thin adapter over one core use case, acting
 * as the token's owner. `wait_for_decision` stays under 50 s so MCP clients' ~60 s request timeouts never fire.
 */
import { z } from 'zod';
import { createRequest } from '../core/create-request.ts';
import { endGrant } from '../core/end-grant.ts';
import { getRequest, listRequests } from '../core/list-requests.ts';
import { presentRequest } from '../core/present-request.ts';
import { revealCredential } from '../core/reveal-credential.ts';
import { waitForDecision } from '../core/wait-for-decision.ts';
import type { AccessRequest } from '../domain/request.ts';
import { defineTool, type ToolContext } from './tool.ts';

export const WAIT_DEFAULT_SEC = 45;
export const WAIT_MAX_SEC = 50;

export const requestId = z.string().min(1).max(64).describe('The request id (jit_…)');
/** Required wherever an agent acts: it goes into the audit event. */
export const reasoning = z.string().trim().min(1, 'reasoning is required: say why, it is recorded in the audit log').max(4000);

const view = async (context: ToolContext, request: AccessRequest) =>
  presentRequest(request, await context.core.store.listDecisions(request.id), context.core.policy.current(), context.core.clock.now());

export const requesterTools = [
  defineTool({
    name: 'request_access',
    title: 'Request access',
    description:
      'Ask for just-in-time access to policy resources for a while, as the owner of your token. The answer is the request: ' +
      'PENDING means approvers were asked (then call wait_for_decision), APPROVED/ACTIVE means the policy approved it, DENIED says why.',
    input: z
      .object({
        resources: z.array(z.string().min(1).max(200)).min(1).max(20).describe('Policy resource ids, e.g. ["data:write"]'),
        duration: z.string().min(1).max(32).describe('How long: 15m, 1h, PT30M; at most the resource\'s (and your account\'s) maximum'),
        reason: z.string().trim().min(1, 'reason is required: the task you need the access for').max(2000).describe('The task context: what you are doing and why'),
        ticket: z.string().max(64).optional().describe('A ticket key such as INC-1234'),
        narrowing: z.string().max(2000).optional().describe('Ask for less than the whole resource: "SELECT on orders.shipments" (postgres resources in mode ephemeral) or "s3:GetObject on arn:aws:s3:::exports/*" (aws resources in mode iam-role)'),
        reasoning: reasoning.describe('Why this access is needed for the task, in your own words; recorded in the audit log and shown to approvers'),
      })
      .strict(),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(args, context) {
      const result = await createRequest(
        context.actor,
        { identityId: context.actor.id, scopes: args.resources, duration: args.duration, reason: args.reason, ...(args.ticket && { ticket: args.ticket }), ...(args.narrowing && { narrowing: args.narrowing }), agentReasoning: args.reasoning, ...(context.source && { source: context.source }) },
        context.core,
      );
      const answer = await view(context, result.request);
      return { data: { ...answer, ...(result.warnings.length > 0 && { warnings: result.warnings }), ...(result.deniedBecause && { deniedBecause: result.deniedBecause }) } };
    },
  }),
  defineTool({
    name: 'get_request',
    title: 'Show a request',
    description: 'The current state of one of your requests (or one you may approve).',
    input: z.object({ id: requestId }).strict(),
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (args, context) => ({ data: await getRequest(context.actor, args.id, context.core) }),
  }),
  defineTool({
    name: 'wait_for_decision',
    title: 'Wait for a decision',
    description:
      `Blocks until the request is decided and its grant applied (ACTIVE), or refused (DENIED, GRANT_FAILED, …), for at most timeoutSeconds (default ${WAIT_DEFAULT_SEC}, at most ${WAIT_MAX_SEC}). ` +
      'Answers {settled, request}; while settled is false (message: "Still pending … call again"), call it again with the same id.',
    input: z
      .object({
        id: requestId,
        timeoutSeconds: z.number().int().min(0).max(WAIT_MAX_SEC).optional().describe(`How long to wait (default ${WAIT_DEFAULT_SEC}, at most ${WAIT_MAX_SEC})`),
      })
      .strict(),
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run(args, context) {
      const timeoutSec = args.timeoutSeconds ?? WAIT_DEFAULT_SEC;
      const result = await waitForDecision(
        context.actor,
        { requestId: args.id, timeoutMs: timeoutSec * 1000, signal: context.signal },
        { ...context.core, ...(context.sleeper && { sleeper: context.sleeper }) },
      );
      if (result.settled) return { data: { settled: true, request: result.request } };
      const what = result.request.status === 'PENDING' ? 'waiting for approval' : 'approved; the grant is being applied';
      const message = `Still pending (${result.request.status}: ${what}) after ${timeoutSec}s: call wait_for_decision again with id ${args.id}.`;
      return { data: { settled: false, message, request: result.request } };
    },
  }),
  defineTool({
    name: 'list_my_grants',
    title: 'List my grants',
    description: 'Your requests that are ACTIVE (access in place) or APPROVED (being applied).',
    input: z.object({}).strict(),
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (_args, context) => ({ data: { requests: await listRequests(context.actor, { view: 'mine', statuses: ['ACTIVE', 'APPROVED'] }, context.core) } }),
  }),
  defineTool({
    name: 'release_access',
    title: 'Release access',
    description: 'Say you are done: the grant is revoked at once (cause "done"). Call it as soon as the task no longer needs the access.',
    input: z.object({ id: requestId, reasoning: reasoning.optional().describe('Why you are done (recorded in the audit log)') }).strict(),
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    async run(args, context) {
      const ended = await endGrant(context.actor, { requestId: args.id, cause: 'done', comment: args.reasoning ?? null }, context.grants);
      return { data: await view(context, ended) };
    },
  }),
  defineTool({
    name: 'reveal_credential',
    title: 'Reveal the credential',
    description:
      'The credential of your ACTIVE grant (a stint_jit_ token or a password), minted for this answer only: it is never stored, so keep it in memory ' +
      'and do not write it to logs or files. Each call mints a new one where the resource rotates.',
    input: z.object({ id: requestId }).strict(),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    async run(args, context) {
      const credentials = await revealCredential(context.actor, args.id, context.grants);
      return { data: { requestId: args.id, credentials: credentials.map((c) => ({ ...c, expiresAt: c.expiresAt.toISOString() })) } };
    },
  }),
];
