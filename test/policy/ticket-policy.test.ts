import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/index.ts';
import { lineOfText, policyError } from './helpers.ts';

const yaml = (workflowTicket: string, tickets: string) => `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
resources:
  - { id: db, provider: { type: token }, maxDuration: 4h, workflow: review }
workflows:
  review:
    eligible: [group:sre]
    approvers: [group:dba]
${workflowTicket}
${tickets}`;

const JIRA = `tickets:
  jira: { url: "https://example.atlassian.net", email: "env:JIRA_EMAIL", token: "file:/run/secrets/jira" }`;

describe('policy: tickets and workflow ticket checks', () => {
  it('reads the ticket systems and a workflow ticket check with defaults', () => {
    const policy = parsePolicy(
      yaml(
        '    ticket: { system: servicenow, states: [In Progress, New] }',
        `tickets:\n  servicenow: { url: "https://acme.service-now.com", user: "env:SN_USER", password: "env:SN_PASSWORD" }`,
      ),
      'stint.yaml',
    );
    expect(policy.workflows.get('review')!.ticket).toEqual({ system: 'servicenow', required: false, states: ['In Progress', 'New'] });
    expect(policy.tickets.servicenow).toEqual({ url: 'https://acme.service-now.com', user: 'env:SN_USER', password: 'env:SN_PASSWORD', table: 'incident' });
    expect(policy.tickets.jira).toBeUndefined();
  });

  it('leaves tickets empty and workflows unchecked when the policy has none', () => {
    const policy = parsePolicy(yaml('', ''), 'stint.yaml');
    expect(policy.tickets).toEqual({});
    expect(policy.workflows.get('review')!.ticket).toBeUndefined();
  });

  it('refuses a workflow naming a ticket system tickets: does not configure, by file and line', () => {
    const text = yaml('    ticket: { system: servicenow, required: true, states: [In Progress] }', JIRA);
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'ticket: {')}: workflows.review.ticket.system: ticket system "servicenow" is not configured`);
  });

  it('refuses an inline secret without echoing it', () => {
    const text = yaml('', `tickets:\n  jira: { url: "https://example.atlassian.net", email: "env:JIRA_EMAIL", token: "hunter2-secret" }`);
    const err = policyError(text);
    expect(err.message).toContain('tickets.jira.token: must be env:NAME or file:/path; inline secrets are refused');
    expect(err.message).not.toContain('hunter2-secret');
  });

  it('refuses an unknown ticket system and an empty states list', () => {
    expect(policyError(yaml('    ticket: { system: github, states: [open] }', JIRA)).message).toContain('workflows.review.ticket.system');
    expect(policyError(yaml('    ticket: { system: jira, states: [] }', JIRA)).message).toContain('workflows.review.ticket.states');
  });

  it('accepts a jira workflow when jira is configured', () => {
    const policy = parsePolicy(yaml('    ticket: { system: jira, required: true, states: [In Progress] }', JIRA), 'stint.yaml');
    expect(policy.workflows.get('review')!.ticket!.required).toBe(true);
    expect(policy.tickets.jira!.token).toBe('file:/run/secrets/jira');
  });
});
