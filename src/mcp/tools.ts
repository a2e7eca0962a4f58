/** Every tool the MCP server lists, in the order clients show them. */
import { approverTools } from './approver-tools.ts';
import { requesterTools } from './requester-tools.ts';
import type { StintTool } from './tool.ts';

export const MCP_TOOLS: readonly StintTool[] = [...requesterTools, ...approverTools];
