/** The public API of the policy layer. */
export type * from './model.ts';
export { DEFAULT_RISK_WEIGHTS } from './model.ts';
export { parsePolicy, loadPolicyFile, policyFingerprint } from './load-policy.ts';
export { policyFileSchema, type PolicyFile } from './policy-schema.ts';
export { policyJsonSchema } from './policy-json-schema.ts';
export { resolveScope, expandPrincipals, possiblePrincipals, isAdmin, canRequest, approversFor, approverRefs, escalationRefs, reviewerRefs, isExternal, ownerOf, type ExternalOnCall } from './resolve.ts';
export { evaluateAutoApprove, type AutoApproveContext, type AutoApproveResult } from './auto-approve.ts';
export { computeRisk, isOffHours, MAX_RISK_SCORE, type RiskContext, type RiskResult } from './risk.ts';
export { describePolicy } from './describe-policy.ts';
export { watchPolicy, type PolicyWatchHandlers, type PolicyWatchOptions } from './watch-policy.ts';
export { PolicyHolder } from './policy-holder.ts';
export { onCallAt } from './oncall.ts';
export type { LocatedIssue } from './policy-issues.ts';
