/**
 * Second factors over REST (issue 12, step-up): a person enrolls a TOTP authenticator (`stint mfa enroll`) and
 * confirms it with a first code; an admin resets someone's factor (a lost phone); a person (the CLI) follows the
 * re-login link they were given. Parse → use case → render.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.ts';
import { reLoginStatus } from '../core/confirm-re-login.ts';
import { confirmTotpEnrollment, resetTotp, startTotpEnrollment } from '../core/enroll-totp.ts';
import type { CorePorts } from '../core/ports.ts';
import { parseWith } from './parse.ts';
import { MfaConfirmBody } from './schemas.ts';

export interface MfaRouteDeps {
  core: CorePorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
}

export function registerMfaRoutes(server: FastifyInstance, deps: MfaRouteDeps): void {
  server.post('/api/v1/mfa/totp', async (req, reply) => {
    const actor = await deps.authenticate(req);
    const enrollment = await startTotpEnrollment(actor, deps.core);
    // The seed is shown this once: nothing may cache the answer.
    reply.header('Cache-Control', 'no-store');
    return reply.status(201).send({ ...enrollment, confirmWith: 'POST /api/v1/mfa/totp/confirm {"code":"<the 6 digits your app shows>"} (stint mfa enroll does it for you)' });
  });

  server.post('/api/v1/mfa/totp/confirm', async (req) => {
    const actor = await deps.authenticate(req);
    return confirmTotpEnrollment(actor, parseWith(MfaConfirmBody, req.body).code, deps.core);
  });

  server.delete<{ Params: { id: string } }>('/api/v1/mfa/totp/:id', async (req) => {
    const actor = await deps.authenticate(req);
    return resetTotp(actor, req.params.id, deps.core);
  });

  // The state of an OIDC re-login link of yours (STEP_UP_REQUIRED's details.challengeId): the CLI waits on it.
  server.get<{ Params: { id: string } }>('/api/v1/mfa/step-up/:id', async (req, reply) => {
    const actor = await deps.authenticate(req);
    reply.header('Cache-Control', 'no-store');
    return reLoginStatus(actor.id, req.params.id, deps.core);
  });
}
