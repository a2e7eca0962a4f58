/** The "first request" lines `stint all` prints, worked out from the loaded policy so they always work. */
import { approversFor, expandPrincipals } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';

export function quickstartLines(policy: Policy, now: Date): string[] {
  for (const resource of policy.resources) {
    const workflow = policy.workflows.get(resource.workflow);
    if (!workflow || workflow.required < 1 || /[*?]/.test(resource.id)) continue;
    for (const requester of expandPrincipals(policy, workflow.eligible, now)) {
      const approvers = approversFor(policy, workflow, now).filter((id) => id !== requester).slice(0, workflow.required);
      if (approvers.length < workflow.required) continue;
      const people = [requester, ...approvers];
      const variable = (id: string) => id.toUpperCase().replace(/[^A-Z0-9]/g, '_');
      return [
        `  ${people.map((id) => `${variable(id)}=$(npx stint token create --for ${id})`).join('; ')}`,
        `  STINT_TOKEN=$${variable(requester)} npx stint request ${resource.id} 1h INC-1234 first request`,
        ...approvers.map((id) => `  STINT_TOKEN=$${variable(id)} npx stint approve <id printed above>`),
        '  npx stint audit verify',
      ];
    }
  }
  return ['  npx stint token create --for <person>   # then: STINT_TOKEN=<it> npx stint request <resource> 1h <reason>'];
}
