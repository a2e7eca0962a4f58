/**
 * One MCP server per HTTP request (stateless streamable HTTP): the SDK's low-level `Server`, so that Stint — not
 * the SDK — parses tool arguments. McpServer would refuse a bad argument with its own text ("MCP error -32602 …");
 * agents get our error shape instead: `isError: true` with `{"error":{"code","message"}}` (INVALID_BODY naming the
 * field), the same codes as the REST API. Nothing runs before the arguments parse, so a refused call changes nothing.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from 'pino';
import { isStintError } from '../domain/errors.ts';
import { parseWith } from '../api/parse.ts';
import type { StintTool, ToolAnswer, ToolContext } from './tool.ts';

export interface McpServerOptions {
  version: string;
  tools: readonly StintTool[];
  logger: Logger;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function errorResult(code: string, message: string, details?: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: json({ error: { code, message, ...(details && { details }) } }) }] };
}

function answerResult(answer: ToolAnswer): CallToolResult {
  return { content: [{ type: 'text', text: json(answer.data) }] };
}

/** `context` minus the signal: each tool call gets the abort signal of its own JSON-RPC request (and `closing`). */
export function createMcpServer(options: McpServerOptions, context: Omit<ToolContext, 'signal'> & { closing: AbortSignal }): Server {
  const { closing, ...shared } = context;
  const server = new Server(
    { name: 'stint', title: 'Stint just-in-time access', version: options.version },
    {
      capabilities: { tools: {} },
      instructions:
        'Ask for access with request_access (say the task in reason and why in reasoning), block on wait_for_decision until it is ACTIVE, ' +
        'use it, then release_access as soon as you are done. Approver tools (list_pending, approve_request, deny_request, escalate_to_human) ' +
        'act only where the policy lets an agent review.',
    },
  );
  const byName = new Map(options.tools.map((t) => [t.name, t]));

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: options.tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: z.toJSONSchema(t.input, { io: 'input' }) as { type: 'object'; [key: string]: unknown },
      ...(t.annotations && { annotations: t.annotations }),
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = byName.get(request.params.name);
    // An unknown tool is a protocol error (the MCP spec's -32602), not a tool result.
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool ${request.params.name}; tools/list names them`);
    try {
      const args = parseWith(tool.input, request.params.arguments ?? {});
      return answerResult(await tool.run(args, { ...shared, signal: AbortSignal.any([extra.signal, closing]) }));
    } catch (err) {
      if (isStintError(err)) return errorResult(err.code, err.message, err.details);
      const id = `mcp_${Math.random().toString(36).slice(2, 12)}`;
      options.logger.error({ err, tool: tool.name, errorId: id }, 'unexpected error in an MCP tool');
      return errorResult('INTERNAL', `Something went wrong on our side; quote error id ${id} to an admin`);
    }
  });
  return server;
}
