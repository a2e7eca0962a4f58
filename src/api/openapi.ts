/** `/openapi.json`, generated from the zod schemas in schemas.ts so it cannot drift from what the code accepts. */
import { z } from 'zod';
import { ERROR_CODES } from '../domain/errors.ts';
import * as G from './guardrail-schemas.ts';
import * as GW from './gateway-schemas.ts';
import * as S from './schemas.ts';

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => z.toJSONSchema(schema, { io, unrepresentable: 'any' });
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema, 'input') } } });
const answer = (description: string, schema?: z.ZodType) => ({
  description,
  ...(schema ? { content: { 'application/json': { schema: json(schema) } } } : {}),
});
const errors = Object.fromEntries(
  [...new Set(Object.values(ERROR_CODES))]
    .filter((s) => s >= 400)
    .map((status) => [
      String(status),
      answer(
        `Error: ${Object.entries(ERROR_CODES)
          .filter(([, v]) => v === status)
          .map(([k]) => k)
          .join(', ')}`,
        S.ErrorBody,
      ),
    ]),
);
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string', example: 'jit_01J…' } }];
const decide = (summary: string, schema: z.ZodType = S.CommentBody) => ({
  summary,
  parameters: idParam,
  requestBody: { required: false, content: { 'application/json': { schema: json(schema, 'input') } } },
  responses: { '200': answer('The request view', S.RequestView), ...errors },
});

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Stint', version, description: 'Just-in-time privileged access, requested and approved in chat.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'stint_live_… token' } } },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/credentials/jit': {
        post: {
          summary: 'Request access',
          description:
            'Where the workflow has ticket:, the ticket (the `ticket` field or a key as first word of the reason) must exist in Jira / ServiceNow and be in an allowed state: ' +
            'else TICKET_INVALID (422); a ticket system that does not answer gives UNAVAILABLE (503) and nothing is created. The ticket title is on the view as ticketTitle. ' +
            'With launch: true (`stint ssh`) the request must name one resource (else INVALID_BODY, field scopes) whose provider can launch and whose jit has create_ephemeral: true, ' +
            'and not one with allowUserHost (each else NOT_ELIGIBLE 403, details.rule launch-provider | launch-ephemeral | launch-local-account | launch-user-host); a launch body that also names a host, login or credential ' +
            '(host, hostname, port, login, user, username, identityFile, privateKey, password, sshOptions) is INVALID_BODY naming the field.',
          requestBody: body(S.CreateRequestBody), responses: { '201': answer('Created', S.RequestView), ...errors } },
      },
      '/api/v1/credentials/jit/{id}': {
        get: { summary: 'One request', parameters: idParam, responses: { '200': answer('The request view', S.RequestView), ...errors } },
      },
      '/api/v1/credentials/jit/{id}/wait': {
        get: {
          summary: 'Long poll: answers as soon as the request is decided and applied (or denied, failed, …), or when the timeout passes',
          description:
            'For agents that block on approval. Answers 200 with the request view and settled: true once the request left PENDING and APPROVED, ' +
            'or settled: false at the timeout (call again). Errors: INVALID_DURATION (422, unparseable timeout or above 60s), NOT_FOUND (404, unknown or not visible).',
          parameters: [
            ...idParam,
            { name: 'timeout', in: 'query', schema: { type: 'string', default: '30s', example: '45s' }, description: '30s, 1m or plain seconds; at most 60s' },
          ],
          responses: { '200': answer('The request view and whether it settled', S.WaitAnswer), ...errors },
        },
      },
      '/api/v1/credentials/jit/{id}/approve': { post: decide('Approve (idempotent per approver; agent approvers give reasoning)', S.DecisionBody) },
      '/api/v1/credentials/jit/{id}/deny': { post: decide('Deny (comment or, for agents, reasoning required)', S.DecisionBody) },
      '/api/v1/credentials/jit/{id}/escalate': {
        post: {
          summary: 'Hand a pending request to people: no agent may decide it any more (MCP escalate_to_human)',
          description:
            'Idempotent. Errors: COMMENT_REQUIRED (no reasoning), NOT_ELIGIBLE (not an approver, or an agent outside aiReview), SELF_APPROVAL, NOT_PENDING.',
          parameters: idParam,
          requestBody: body(S.EscalateBody),
          responses: { '200': answer('The request view (humanOnly)', S.RequestView), ...errors },
        },
      },
      '/api/v1/credentials/jit/{id}/cancel': { post: decide('Cancel a pending request (requester or admin)') },
      '/api/v1/credentials/jit/{id}/done': { post: decide('End your access early (requester)') },
      '/api/v1/credentials/jit/{id}/revoke': { post: decide('Take access back (admin or approver)') },
      '/api/v1/credentials/jit/{id}/extend': {
        post: {
          summary: 'Move an active grant\'s expiry later (requester when auto-approvable or break-glass; approver or admin)',
          description:
            'Errors: FORBIDDEN (not requester, approver or admin), NOT_ELIGIBLE (the total needs an approver), NOT_PENDING (not ACTIVE), ' +
            'INVALID_DURATION, DURATION_TOO_LONG (names the maximum and what can still be added), UNAVAILABLE (a provider refused: the old expiry stays).',
          parameters: idParam,
          requestBody: body(S.ExtendBody),
          responses: { '200': answer('The request view', S.RequestView), ...errors },
        },
      },
      '/api/v1/credentials/jit/{id}/credential': {
        post: {
          summary: 'Reveal the credential of an active grant (requester only; each call mints a new password)',
          description:
            'Answered with Cache-Control: no-store; the password is in this answer only, never stored or logged. ' +
            'Errors: FORBIDDEN (not the requester), NOT_PENDING (not ACTIVE), NO_CREDENTIAL (no scope mints one, e.g. a role membership), UNAVAILABLE.',
          parameters: idParam,
          requestBody: { required: false, content: { 'application/json': { schema: json(S.RevealBody, 'input') } } },
          responses: { '200': answer('The credentials, shown once', S.RevealedCredentials), ...errors },
        },
      },
      '/api/v1/credentials/jit/{id}/recording': {
        get: {
          summary: 'The latest stint ssh session recording of a request (asciicast v2) with its session.recorded audit event',
          description:
            'For the requester, an approver who decided (or may decide) the request, an admin, or an audit:read token. ' +
            'Check sha256(content as UTF-8) == recording.sha256 == auditEvent.data.sha256 (`stint session play` does). Errors: NOT_FOUND (404: unknown, not visible, or no recording).',
          parameters: idParam,
          responses: { '200': answer('The recording and its audit event', GW.RecordingAnswer), ...errors },
        },
      },
      '/api/v1/gateway': {
        get: {
          summary: 'Where the SSH gateway of launch mode is, and the fingerprint of its host key to pin (any token)',
          description: 'Log in to it with the request id as user name and your stint_live_ token as password; one pty shell per request at a time.',
          responses: { '200': answer('The gateway', GW.GatewayInfo), ...errors },
        },
      },
      '/api/v1/requests': {
        get: {
          summary: 'Requests visible to the caller',
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string' }, description: 'Comma-separated states' },
            {
              name: 'view',
              in: 'query',
              schema: { type: 'string', enum: ['mine', 'awaiting', 'all'] },
              description: 'awaiting: pending requests you may decide, and break-glass uses whose review waits for you',
            },
            { name: 'review', in: 'query', schema: { type: 'string', enum: ['pending', 'acknowledged'] }, description: 'Only break-glass requests whose review is in this state' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: { '200': answer('Requests, newest first', S.RequestList), ...errors },
        },
      },
      '/api/v1/credentials/jit/{id}/review': {
        post: {
          summary: 'Acknowledge the follow-up review of a break-glass use (breakGlass.reviewers; default the admins)',
          description:
            'Idempotent: a repeat (by anyone) answers 200 with the unchanged view, whose review names who acknowledged it when. ' +
            'Errors: SELF_APPROVAL (403, the break-glass requester or a service account\'s owner), NOT_ELIGIBLE (403, not a reviewer ' +
            'under the current policy), NOT_FOUND (404, unknown or not visible), NOT_BREAK_GLASS (409, the request was not a break-glass use).',
          parameters: idParam,
          requestBody: { required: false, content: { 'application/json': { schema: json(S.ReviewBody, 'input') } } },
          responses: { '200': answer('The request view (its review acknowledged)', S.RequestView), ...errors },
        },
      },
      '/api/v1/mfa/totp': {
        post: {
          summary: 'Start enrolling a TOTP authenticator for step-up (people only; needs STINT_SECRET_KEY on the server)',
          description: 'Shows the seed once (Cache-Control: no-store); it counts only after POST /api/v1/mfa/totp/confirm. ALREADY_DECIDED (409) when a confirmed factor exists: an admin resets it first.',
          responses: { '201': answer('The seed, shown once', S.MfaEnrollment), ...errors },
        },
      },
      '/api/v1/mfa/totp/confirm': {
        post: {
          summary: 'Confirm the enrolment with the first code the authenticator shows',
          requestBody: body(S.MfaConfirmBody),
          responses: { '200': answer('{"enrolled": true}'), ...errors },
        },
      },
      '/api/v1/mfa/totp/{id}': {
        delete: { summary: "Reset a person's second factor (admin; a lost phone)", parameters: idParam, responses: { '200': answer('{"removed": true|false}'), ...errors } },
      },
      '/api/v1/mfa/step-up/{id}': {
        get: {
          summary: 'The state of one of your OIDC re-login links (STEP_UP_REQUIRED details.challengeId), to wait on it',
          description:
            'Where STINT_OIDC_ISSUER is set, STEP_UP_REQUIRED carries details.url (open it in a browser: it signs you in again at the identity provider) and details.challengeId. status: waiting | confirmed (the same call made again within 5 minutes goes through, once) | used | expired. Someone else\'s link is NOT_FOUND.',
          parameters: idParam,
          responses: { '200': answer('{"id", "purpose", "status", "expiresAt"}'), ...errors },
        },
      },
      '/api/v1/tokens': {
        post: { summary: 'Issue an API token (admin)', requestBody: body(S.CreateTokenBody), responses: { '201': answer('Shown once', S.TokenCreated), ...errors } },
        get: {
          summary: 'List tokens, never their secrets (admin)',
          parameters: [{ name: 'for', in: 'query', schema: { type: 'string' } }],
          responses: { '200': answer('Tokens'), ...errors },
        },
      },
      '/api/v1/tokens/{prefix}': { delete: { summary: 'Revoke a token (admin)', responses: { '200': answer('Revoked'), ...errors } } },
      '/api/v1/tokens/{prefix}/rotate': {
        post: { summary: 'Replace a token with a new one of the same owner, scopes and expiry; the old one is revoked at once (admin)', responses: { '200': answer('The new token, shown once', S.TokenCreated), ...errors } },
      },
      '/api/v1/guardrails/trip': {
        post: {
          summary: 'Trip a guardrail on a service account (admin, or a resource server\'s token with the introspect scope)',
          description: 'Revokes every grant of the account, cancels its pending requests, and suspends it where the policy says onGuardrail: suspend. Errors: NOT_FOUND (unknown account), COMMENT_REQUIRED (no reason), FORBIDDEN.',
          requestBody: body(G.TripGuardrailBody),
          responses: { '200': answer('What the trip did', G.TripGuardrailAnswer), ...errors },
        },
      },
      '/api/v1/service-accounts': { get: { summary: 'Service accounts with their suspension (admin)', responses: { '200': answer('Service accounts', G.ServiceAccountList), ...errors } } },
      '/api/v1/service-accounts/{id}/suspend': {
        post: { summary: 'Suspend a service account: its tokens are refused until unsuspended (admin)', parameters: idParam, requestBody: body(G.SuspendBody), responses: { '200': answer('The account', G.ServiceAccountView), ...errors } },
      },
      '/api/v1/service-accounts/{id}/unsuspend': {
        post: { summary: 'Lift a service account\'s suspension (admin)', parameters: idParam, requestBody: { required: false, content: { 'application/json': { schema: json(G.UnsuspendBody, 'input') } } }, responses: { '200': answer('The account', G.ServiceAccountView), ...errors } },
      },
      '/api/v1/audit': {
        get: {
          summary: 'Audit events after a sequence number (audit:read); with follow=true a stream that stays open and carries each new event, plus signed anchors when the server has STINT_AUDIT_SIGNING_KEY',
          parameters: [
            { name: 'after', in: 'query', schema: { type: 'integer', default: 0 } },
            { name: 'limit', in: 'query', description: 'page size (ignored with follow)', schema: { type: 'integer', default: 10000, maximum: 100000 } },
            { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'syslog', 'cef'], default: 'json' } },
            { name: 'follow', in: 'query', schema: { type: 'string', enum: ['true', 'false'], default: 'false' } },
          ],
          responses: { '200': { description: 'NDJSON (json) or one line per event (syslog, cef)', content: { 'application/x-ndjson': {}, 'text/plain': {} } }, ...errors },
        },
      },
      '/api/v1/signals/device': {
        post: {
          summary: "An MDM reports a person's device posture (admin token); the context of their requests for the next 24 h",
          description: 'Errors: FORBIDDEN (not an admin), NOT_FOUND (no such person in the policy), INVALID_BODY.',
          requestBody: body(S.DevicePostureBody),
          responses: { '200': answer('The posture as recorded'), ...errors },
        },
      },
      '/api/v1/introspect': {
        post: {
          summary: 'Is this stint_jit_ credential live, and for which scopes? (RFC 7662; the `introspect` scope or admin)',
          description:
            'For resource servers (policy enforcement points). Active only while the credential is unrevoked and unexpired, its request ACTIVE, ' +
            'its principal neither disabled nor suspended, and no guardrail trips; otherwise just {"active": false}. Answers may be up to 1 s old ' +
            'across replicas. Errors: INVALID_BODY (no token), UNAUTHENTICATED, FORBIDDEN (no introspect scope).',
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: json(S.IntrospectBody, 'input') }, 'application/json': { schema: json(S.IntrospectBody, 'input') } },
          },
          responses: { '200': answer('The RFC 7662 answer', S.IntrospectionAnswer), ...errors },
        },
      },
      '/api/v1/audit/verify': { get: { summary: 'Walk the hash chain (audit:read)', responses: { '200': answer('Result'), ...errors } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': answer('Alive') } } },
      '/readyz': { get: { summary: 'Readiness: store and policy answer', security: [], responses: { '200': answer('Ready'), '503': answer('Not ready', S.ErrorBody) } } },
    },
  };
}
