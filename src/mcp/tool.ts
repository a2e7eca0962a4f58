/**
 * What an MCP tool is here: a strict zod input schema (listed to clients as JSON Schema, and the only parser of
 * the arguments) and a thin `run` over one core use case. Results are JSON text; refusals are rendered by
 * mcp-server.ts.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Actor } from '../core/actor.ts';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import type { Sleeper } from '../core/wait-for-decision.ts';

export interface ToolContext {
  /** The token's owner (a person or a service account), authenticated before any JSON-RPC. */
  actor: Actor;
  core: CorePorts;
  grants: GrantPorts;
  /** Aborted when the MCP client went away (its HTTP request closed) or the server is shutting down. */
  signal: AbortSignal;
  sleeper?: Sleeper;
  /** Where the MCP client's HTTP request came from (issue 12's source IP signal). */
  source?: { ip: string; devicePosture: 'compliant' | 'noncompliant' | null };
}

/** What a tool answers: one JSON value, sent as the result's single text block. */
export interface ToolAnswer {
  data: unknown;
}

export interface StintTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: S;
  annotations?: ToolAnnotations;
  run(args: z.infer<S>, context: ToolContext): Promise<ToolAnswer>;
}

/** Keeps each tool's `run` typed by its own schema while the list holds them all. */
export function defineTool<S extends z.ZodObject>(tool: StintTool<S>): StintTool {
  return tool as unknown as StintTool;
}
