/** A small policy for use-case tests: two-of-three DBAs for prod, auto-approval for short dev access. */
import { parsePolicy } from '../../src/policy/index.ts';
import type { Policy } from '../../src/policy/model.ts';

export const POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
  - { id: frank, email: frank@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [security] }
  - { id: mallory, email: mallory@example.com }
admins: [group:security]
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw }
    maxDuration: 4h
    tier: prod
    workflow: two-dba
  - id: dev-*
    provider: { type: postgres, connection: "env:DEV_DB_ADMIN_URL", role: dev_rw }
    maxDuration: 8h
    workflow: dev-auto
  - id: prod-billing-db
    provider: { type: postgres, connection: "env:BILLING_DB_ADMIN_URL", role: billing_rw }
    maxDuration: 2h
    workflow: one-sre
  - id: sandbox
    provider: { type: token }
    maxDuration: 1h
    workflow: auto-only
workflows:
  dev-auto:
    eligible: [group:sre, group:dba]
    autoApprove:
      conditions:
        - { type: RESOURCE, operator: STARTS_WITH, value: "dev-" }
        - { type: DURATION, operator: LESS_THAN, value: 2h }
    approvers: [group:sre]
    required: 1
  two-dba:
    eligible: [group:sre, group:dba]
    approvers: [group:dba]
    required: 2
    approvalWindow: 30m
  one-sre:
    eligible: [group:sre, group:dba]
    approvers: [group:sre, group:dba]
    required: 1
  auto-only:
    eligible: [group:sre]
    autoApprove:
      conditions:
        - { type: DURATION, operator: LESS_THAN, value: 30m }
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }
serviceAccounts:
  - { id: svc-bot, owner: carol, maxJitDuration: 30m, resources: [prod-billing-db], onGuardrail: revoke }
`;

export function testPolicy(yaml: string = POLICY_YAML): Policy {
  return parsePolicy(yaml, 'test-policy.yaml');
}
