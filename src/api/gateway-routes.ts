/**
 * REST side of the SSH gateway (issue 8): `GET /api/v1/gateway` tells `stint ssh` where the gateway is and which host
 * key to pin; `GET /api/v1/credentials/jit/:id/recording` hands a session recording to who may see it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.ts';
import { readRecording, type RecordingPorts } from '../core/read-recording.ts';

export interface GatewayRouteDeps {
  ports: RecordingPorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
  /** Where the gateway listens now; null while it is off. */
  gateway(): { host: string | null; port: number; fingerprint: string } | null;
}

export function registerGatewayRoutes(server: FastifyInstance, deps: GatewayRouteDeps): void {
  server.get('/api/v1/gateway', async (req) => {
    await deps.authenticate(req);
    const gateway = deps.gateway();
    return gateway ? { enabled: true, host: gateway.host, port: gateway.port, hostKeyFingerprint: gateway.fingerprint } : { enabled: false, host: null, port: null, hostKeyFingerprint: null };
  });

  server.get<{ Params: { id: string } }>('/api/v1/credentials/jit/:id/recording', async (req, reply) => {
    const actor = await deps.authenticate(req);
    const { recording, event } = await readRecording(actor, req.params.id, deps.ports);
    reply.header('Cache-Control', 'no-store');
    return {
      recording: { ...recording, startedAt: recording.startedAt.toISOString(), endedAt: recording.endedAt.toISOString() },
      auditEvent: event ? { seq: event.seq.toString(), at: event.at.toISOString(), action: event.action, data: event.data, hash: event.hash } : null,
    };
  });
}
