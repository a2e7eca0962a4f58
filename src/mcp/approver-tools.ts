/**
 * Tools for agent approvers (DESIGN.md section 6, "MCP"): each decision needs `reasoning`, recorded in its audit
 * event. Who may decide is core's rule (decide-request.ts): an agent only where the workflow's
 * `approverTier: ai_review` and `aiReview.reviewers` allow, never on break-glass, never on its own request.
 */
import { z } from 'zod';
import { decideRequest } from '../core/decide-request.ts';
import { escalateToHuman } from '../core/escalate-to-human.ts';
import { listRequests } from '../core/list-requests.ts';
import { presentRequest } from '../core/present-request.ts';
import type { AccessRequest, Decision } from '../domain/request.ts';
import { reasoning, requestId } from './requester-tools.ts';
import { defineTool, type ToolContext } from './tool.ts';

const decided = (context: ToolContext, request: AccessRequest, decisions: Decision[]) =>
  presentRequest(request, decisions, context.core.policy.current(), context.core.clock.now());

// The reasoning is also the decision's comment, so a person's reasoning is audited and shown like an agent's.
const decisionInput = z.object({ id: requestId, reasoning: reasoning.describe('Why, in your own words; recorded in the audit log and shown to the requester and approvers') }).strict();

export const approverTools = [
  defineTool({
    name: 'list_pending',
    title: 'List what awaits my decision',
    description: 'Pending requests you may decide now (as an agent reviewer: those whose workflow lets an agent review).',
    input: z.object({}).strict(),
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async (_args, context) => ({ data: { requests: await listRequests(context.actor, { view: 'awaiting' }, context.core) } }),
  }),
  defineTool({
    name: 'approve_request',
    title: 'Approve a request',
    description: 'Approve a pending request you may decide. Refused (NOT_ELIGIBLE) where the workflow does not let an agent review, on break-glass, and on your own requests.',
    input: decisionInput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(args, context) {
      const result = await decideRequest(context.actor, { requestId: args.id, verdict: 'approve', comment: args.reasoning, reasoning: args.reasoning }, context.core);
      return { data: decided(context, result.request, result.decisions) };
    },
  }),
  defineTool({
    name: 'deny_request',
    title: 'Deny a request',
    description: 'Deny a pending request you may decide; your reasoning is the comment the requester sees. Same refusals as approve_request.',
    input: decisionInput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async run(args, context) {
      const result = await decideRequest(context.actor, { requestId: args.id, verdict: 'deny', comment: args.reasoning, reasoning: args.reasoning }, context.core);
      return { data: decided(context, result.request, result.decisions) };
    },
  }),
  defineTool({
    name: 'escalate_to_human',
    title: 'Hand a request to a person',
    description: 'Leave the decision to the workflow\'s human approvers (the card goes to them); agents can no longer decide it afterwards.',
    input: decisionInput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run(args, context) {
      const { request } = await escalateToHuman(context.actor, { requestId: args.id, reasoning: args.reasoning }, context.core);
      return { data: decided(context, request, await context.core.store.listDecisions(request.id)) };
    },
  }),
];
