/**
 * `/mcp` on our fastify server: streamable HTTP in stateless mode (a new MCP server and transport per POST;
 * GET and DELETE, which only sessions use, answer 405). The bearer token is checked in `onRequest`, before the
 * body is even parsed: a missing, unknown, expired or revoked token is HTTP 401 with `WWW-Authenticate: Bearer`
 * and our error body, and no JSON-RPC is ever read or answered.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { requestSource } from '../api/http-server.ts';
import type { Actor } from '../core/actor.ts';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import type { Sleeper } from '../core/wait-for-decision.ts';
import { isStintError } from '../domain/errors.ts';
import { bearerToken, errorBody } from '../api/http-server.ts';
import { createMcpServer } from './mcp-server.ts';
import type { StintTool } from './tool.ts';

export interface McpRouteDeps {
  core: CorePorts;
  grants: GrantPorts;
  tools: readonly StintTool[];
  version: string;
  logger: Logger;
  /** Turns the presented bearer token into an Actor (via `mcp`), or throws UNAUTHENTICATED. */
  authenticate(token: string | undefined): Promise<Actor>;
  sleeper?: Sleeper;
}

export const MCP_PATH = '/mcp';

declare module 'fastify' {
  interface FastifyRequest {
    mcpActor?: Actor;
  }
}

export function registerMcpRoute(server: FastifyInstance, deps: McpRouteDeps): void {
  // Graceful shutdown: a wait_for_decision in flight answers "still pending" at once instead of holding the close.
  const closing = new AbortController();
  server.addHook('preClose', async () => closing.abort());
  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(req);
    try {
      req.mcpActor = await deps.authenticate(token);
    } catch (err) {
      if (!isStintError(err) || err.code !== 'UNAUTHENTICATED') throw err;
      // RFC 6750: name the scheme; say invalid_token when one was presented but refused.
      reply.header('WWW-Authenticate', token ? 'Bearer realm="stint", error="invalid_token"' : 'Bearer realm="stint"');
      return reply.status(401).send(errorBody(err.code, err.message, err.details));
    }
  };

  server.post(MCP_PATH, { onRequest: authenticate }, async (req, reply) => {
    const actor = req.mcpActor!;
    const mcp = createMcpServer({ version: deps.version, tools: deps.tools, logger: deps.logger }, { actor, core: deps.core, grants: deps.grants, closing: closing.signal, source: requestSource(req, deps.core.policy.current()), ...(deps.sleeper && { sleeper: deps.sleeper }) });
    // Stateless: no session id. Plain JSON answers (no SSE stream): nothing here sends server-initiated messages,
    // and curl or a load balancer sees an ordinary request/response. The SDK writes on the raw response itself.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    reply.hijack();
    // The client went away (or the answer is complete): closing aborts in-flight tool calls (a long wait stops).
    reply.raw.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    try {
      await mcp.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    } catch (err) {
      req.log.error({ err }, 'MCP request failed');
      if (!reply.raw.headersSent) {
        reply.raw.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: `Internal error; quote request id ${req.id} to an admin` }, id: null }));
      }
    }
  });

  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(405)
      .header('Allow', 'POST')
      .send(errorBody('METHOD_NOT_ALLOWED', 'This MCP server is stateless (no sessions): send JSON-RPC with POST /mcp'));
  server.get(MCP_PATH, { onRequest: authenticate }, notAllowed);
  server.delete(MCP_PATH, { onRequest: authenticate }, notAllowed);
}
