/** A policy whose `orders-api` workflow checks Jira tickets (required, In Progress), `billing-api` ServiceNow ones (optional) and `plain-api` none; `token` resources. */
export function ticketPolicyYaml(jiraUrl: string, serviceNowUrl: string): string {
  return `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
tickets:
  jira: { url: "${jiraUrl}", email: "env:JIRA_EMAIL", token: "env:JIRA_TOKEN" }
  servicenow: { url: "${serviceNowUrl}", user: "env:SN_USER", password: "env:SN_PASSWORD" }
resources:
  - { id: orders-api, provider: { type: token }, maxDuration: 4h, workflow: jira-checked }
  - { id: plain-api, provider: { type: token }, maxDuration: 4h, workflow: unchecked }
  - { id: billing-api, provider: { type: token }, maxDuration: 4h, workflow: servicenow-checked }
workflows:
  jira-checked:
    eligible: [group:sre]
    approvers: [group:dba]
    ticket: { system: jira, required: true, states: [In Progress, Selected for Development] }
  servicenow-checked:
    eligible: [group:sre]
    approvers: [group:dba]
    ticket: { system: servicenow, required: false, states: [New, In Progress] }
  unchecked:
    eligible: [group:sre]
    approvers: [group:dba]
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }
`;
}
