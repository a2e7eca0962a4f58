/**
 * When the policy asks for a second factor (issue 12, `stepUp` on a workflow): from the requester before their
 * request goes on (always, or when a CEL condition over `request.*` holds), and from an approver whose approval of
 * a high-risk request is to count. A condition that cannot be evaluated asks for the factor (fail closed).
 */
import type { AutoApproveContext } from './auto-approve.ts';
import { whenRequestOf } from './auto-approve.ts';
import { compileWhen } from './cel-when.ts';
import type { Policy, PolicyWorkflow } from './model.ts';

const programs = new WeakMap<object, ReturnType<typeof compileWhen>>();

/** Why the requester must confirm with a second factor, or null when they need not. */
export function requesterStepUp(policy: Policy, workflow: PolicyWorkflow, ctx: Omit<AutoApproveContext, 'usageCount'>): string | null {
  const rule = workflow.stepUp?.requester;
  if (rule === undefined || rule === false) return null;
  if (rule === true) return `workflow ${workflow.id} asks every requester for a second factor`;
  let compiled = programs.get(workflow.stepUp!);
  if (!compiled) programs.set(workflow.stepUp!, (compiled = compileWhen(rule)));
  if ('error' in compiled) return `workflow ${workflow.id}'s stepUp condition does not compile (asked, to fail closed)`;
  const result = compiled.program(whenRequestOf(policy, ctx));
  if ('error' in result) return `workflow ${workflow.id}'s stepUp condition could not be evaluated (asked, to fail closed)`;
  return result.value ? `workflow ${workflow.id} asks for a second factor when ${rule}` : null;
}

/** Whether approving this request needs the approver's second factor. */
export function approverStepUp(workflow: PolicyWorkflow, riskScore: number): boolean {
  const threshold = workflow.stepUp?.approverRiskAtLeast;
  return threshold !== undefined && riskScore >= threshold;
}
