import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile, parsePolicy } from '../../src/policy/index.ts';
import { EXAMPLE_YAML, exampleWith, examplePolicy, lineOfText, minimalYaml, policyError } from './helpers.ts';

describe('parsePolicy: valid files', () => {
  it('loads the example policy', () => {
    const policy = examplePolicy();
    expect(policy.resources.map((r) => r.id)).toEqual(['prod-orders-db', 'dev-*', 'data:write', 'integrations:write']);
    expect(policy.workflows.get('agent-review')).toMatchObject({ approverTier: 'ai_review', aiReview: { reviewers: ['svc-access-reviewer'], maxRisk: 40 } });
    expect(policy.workflows.get('two-dba')?.approverTier).toBe('human');
    expect(policy.timezone).toBe('Europe/Berlin');
  });

  it('records the first 12 hex characters of the sha256 of the text as fingerprint', () => {
    expect(examplePolicy().fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(parsePolicy(EXAMPLE_YAML + '\n# changed\n', 'x').fingerprint).not.toBe(examplePolicy().fingerprint);
  });

  it('applies the defaults of required, approval window, minimum duration, timezone and risk weights, and leaves mode to the provider', () => {
    const policy = parsePolicy(minimalYaml(), 'p.yaml');
    const resource = policy.resources[0]!;
    const workflow = policy.workflows.get('review')!;
    expect(resource.provider.mode).toBeUndefined(); // postgres defaults it to membership itself
    expect(resource.minDurationSec).toBe(30);
    expect(workflow.required).toBe(1);
    expect(workflow.approvalWindowSec).toBe(7200);
    expect(policy.timezone).toBe('UTC');
    expect(policy.risk).toEqual({
      breakGlass: 40,
      prodTier: 20,
      offHours: 15,
      longDuration: 10,
      recentDenial: 15,
      untrustedNetwork: 15,
      noncompliantDevice: 25,
      newResource: 10,
      unusualHour: 10,
      unusualDuration: 5,
    });
    expect(policy.trustedNetworks).toEqual([]);
  });

  it('merges the groups map with the groups listed on each person', () => {
    const policy = examplePolicy();
    expect([...policy.groups.get('sre')!].sort()).toEqual(['alice', 'bob']);
  });

  it('keeps provider-specific keys for the provider to validate', () => {
    const provider = examplePolicy().resources[0]!.provider;
    expect(provider).toMatchObject({ type: 'postgres', connection: 'env:ORDERS_DB_ADMIN_URL', role: 'orders_rw' });
  });

  it('reads breakGlass.reviewers, and defaults them to the admins when the file names none', () => {
    expect(examplePolicy().breakGlass?.reviewers).toEqual(['group:security']);
    const withoutReviewers = parsePolicy(exampleWith(', reviewers: [group:security] }', ' }'), 'stint.yaml');
    expect(withoutReviewers.breakGlass?.reviewers).toEqual(withoutReviewers.admins);
  });

  it('converts DURATION condition values to seconds', () => {
    const conditions = examplePolicy().workflows.get('dev-auto')!.autoApprove!.conditions;
    expect(conditions.find((c) => c.type === 'DURATION')!.value).toBe(7200);
  });

  it('reads a policy file from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stint-policy-'));
    await writeFile(join(dir, 'stint.yaml'), EXAMPLE_YAML);
    const policy = await loadPolicyFile(join(dir, 'stint.yaml'));
    expect(policy.source).toBe(join(dir, 'stint.yaml'));
  });

  it('refuses a missing policy file with POLICY_INVALID', async () => {
    await expect(loadPolicyFile('/nonexistent/stint.yaml')).rejects.toMatchObject({ code: 'POLICY_INVALID' });
  });
});

describe('parsePolicy: problems are named with file, line and key path', () => {
  it('names an unknown key by line and suggests the near key', () => {
    const text = exampleWith('    required: 2\n', '    requird: 2\n');
    const err = policyError(text);
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.message).toContain(
      `stint.yaml:${lineOfText(text, 'requird')}: workflows.two-dba.requird: unknown key "requird" (did you mean "required"?)`,
    );
  });

  it('names an unknown top-level key', () => {
    const text = exampleWith('version: 1\n', 'version: 1\nresorces: []\n');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'resorces')}: resorces: unknown key "resorces" (did you mean "resources"?)`);
  });

  it('names a resource that uses an unknown workflow by line', () => {
    const text = exampleWith('workflow: two-dba', 'workflow: two-dbb');
    expect(policyError(text).message).toContain(
      `stint.yaml:${lineOfText(text, 'two-dbb')}: resources[0].workflow: unknown workflow "two-dbb" (did you mean "two-dba"?)`,
    );
  });

  it('names a reference to an unknown group by line', () => {
    const text = exampleWith('approvers: [group:dba]', 'approvers: [group:dbx]');
    expect(policyError(text).message).toContain(
      `stint.yaml:${lineOfText(text, 'group:dbx')}: workflows.two-dba.approvers[0]: unknown group "dbx"`,
    );
  });

  it('names a reference to an unknown person', () => {
    const text = exampleWith('owner: alice', 'owner: alicia');
    expect(policyError(text).message).toContain('serviceAccounts[0].owner: unknown person "alicia" (did you mean "alice"?)');
  });

  it('names a reference to an unknown on-call rotation', () => {
    const text = exampleWith('notify: [group:security, oncall:sre-primary]', 'notify: [group:security, oncall:sre-secondary]');
    expect(policyError(text).message).toContain('breakGlass.notify[1]: unknown on-call rotation "sre-secondary"');
  });

  it('names an unknown group in breakGlass.reviewers by file and line', () => {
    const text = exampleWith('reviewers: [group:security]', 'reviewers: [group:secruity]');
    expect(policyError(text).message).toContain(
      `stint.yaml:${lineOfText(text, 'group:secruity')}: breakGlass.reviewers[0]: unknown group "secruity" (did you mean "security"?)`,
    );
  });

  it('refuses an empty breakGlass.reviewers: break-glass use must be reviewed by someone', () => {
    const text = exampleWith('reviewers: [group:security]', 'reviewers: []');
    expect(policyError(text).message).toContain('breakGlass.reviewers: names nobody');
  });

  it('refuses a duration string that is not a duration', () => {
    const text = exampleWith('maxDuration: 4h', 'maxDuration: 4 hours');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, '4 hours')}: resources[0].maxDuration: "4 hours" is not a duration`);
  });

  it('refuses a duration given as a bare number', () => {
    const text = exampleWith('maxDuration: 4h', 'maxDuration: 240');
    expect(policyError(text).message).toContain('resources[0].maxDuration: expected a duration string such as 15m, 2h or 1d');
  });

  it('refuses a zero duration', () => {
    expect(policyError(exampleWith('approvalWindow: 30m', 'approvalWindow: 0m')).message).toContain(
      'workflows.two-dba.approvalWindow: Duration "0m" must be longer than zero',
    );
  });

  it('reports a CEL when expression that does not compile, with its line', () => {
    const text = exampleWith("'request.hour >= 8 && request.hour < 20'", "'request.hour >= 8 &&'");
    expect(policyError(text).message).toMatch(
      new RegExp(`^stint\\.yaml:${lineOfText(text, 'request.hour >= 8 &&')}: workflows\\.dev-auto\\.autoApprove\\.when: CEL syntax error`, 'm'),
    );
  });

  it('reports a CEL when expression that uses an unknown request field', () => {
    const text = exampleWith('request.hour < 20', 'request.hours < 20');
    expect(policyError(text).message).toContain('unknown field request.hours');
  });

  it('reports a CEL when expression that does not give a boolean', () => {
    const text = exampleWith("'request.hour >= 8 && request.hour < 20'", "'request.hour'");
    expect(policyError(text).message).toContain('not true or false');
  });

  it('reports a CEL when expression that calls an unknown function', () => {
    const text = exampleWith('request.hour < 20', 'hourOf(request) < 20');
    expect(policyError(text).message).toContain('unknown function hourOf()');
  });

  it('refuses aiReview reviewers that are not service accounts, naming the closest one', () => {
    const text = exampleWith('reviewers: [svc-access-reviewer]', 'reviewers: [svc-acess-reviewer]');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'svc-acess-reviewer')}: workflows.agent-review.aiReview.reviewers[0]: "svc-acess-reviewer" is not a service account (did you mean "svc-access-reviewer"?)`);
  });

  it('refuses approverTier ai_review without aiReview, and aiReview without ai_review', () => {
    expect(policyError(minimalYaml('    approverTier: ai_review\n')).message).toContain('workflows.review.aiReview: is required with approverTier: ai_review');
    const noTier = minimalYaml('    aiReview: { reviewers: [svc-a] }\nserviceAccounts:\n  - { id: svc-a, owner: alice, maxJitDuration: 15m, resources: [db] }\n');
    expect(policyError(noTier).message).toContain('workflows.review.approverTier: must be ai_review for aiReview to apply');
  });

  it('refuses a trustedNetworks entry that is not an address or CIDR, with its line', () => {
    const text = minimalYaml('trustedNetworks: [10.0.0.0/8, 10.0.0.0/33]\n');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'trustedNetworks')}: trustedNetworks[1]: expected an address or CIDR`);
  });

  it('defaults aiReview.maxRisk to 50', () => {
    const yaml = minimalYaml('    approverTier: ai_review\n    aiReview: { reviewers: [svc-a] }\nserviceAccounts:\n  - { id: svc-a, owner: alice, maxJitDuration: 15m, resources: [db] }\n');
    expect(parsePolicy(yaml, 'p.yaml').workflows.get('review')?.aiReview).toEqual({ reviewers: ['svc-a'], maxRisk: 50 });
  });

  it('refuses a YAML key that is a list or a map', () => {
    expect(policyError('version: 1\n? [a, b]\n: 1\n').message).toBe('stint.yaml:2: YAML: keys must be plain names, not lists, maps or empty');
  });

  it('refuses an unknown time zone', () => {
    const text = exampleWith('timezone: Europe/Berlin    ', 'timezone: Europe/Berln    ');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'Berln')}: timezone: unknown time zone "Europe/Berln"`);
  });

  it('refuses duplicate person ids', () => {
    const text = minimalYaml().replace('id: bob', 'id: alice').replace('email: bob@', 'email: bobby@');
    expect(policyError(text).message).toContain('people[1].id: duplicate person id "alice"');
  });

  it('refuses duplicate resource ids', () => {
    const text = minimalYaml().replace(
      'workflows:\n',
      '  - { id: db, provider: { type: token }, maxDuration: 1h, workflow: review }\nworkflows:\n',
    );
    expect(policyError(text).message).toContain('resources[1].id: duplicate resource id "db"');
  });

  it('refuses requiring more approvals than there are enabled approvers', () => {
    const text = minimalYaml('    required: 3\n');
    expect(policyError(text).message).toContain('workflows.review.required: requires 3 approvals but only 2 enabled people can approve');
  });

  it('refuses an on-call rotation as admin', () => {
    const text = exampleWith('admins: [group:security]', 'admins: [oncall:sre-primary]');
    expect(policyError(text).message).toContain('admins[0]: an on-call rotation cannot be used here');
  });

  it('refuses an escalation step that comes after the approval window', () => {
    const text = exampleWith('after: 20m', 'after: 45m');
    expect(policyError(text).message).toContain('workflows.two-dba.escalation[1].after: is not before the approval window');
  });

  it('refuses an operator the condition type does not support', () => {
    const text = exampleWith('{ type: DURATION, operator: LESS_THAN', '{ type: DURATION, operator: STARTS_WITH');
    expect(policyError(text).message).toContain('DURATION supports LESS_THAN, EQUALS, IN, not STARTS_WITH');
  });

  it('suggests the near option of a misspelt enum value', () => {
    const text = exampleWith('type: RISK_SCORE', 'type: RISK_SCOR');
    expect(policyError(text).message).toContain('got "RISK_SCOR" (did you mean "RISK_SCORE"?)');
  });

  it('names a missing required key at the line of its object', () => {
    const text = minimalYaml().replace(', workflow: review }', ' }');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'id: db')}: resources[0].workflow: missing`);
  });

  it('names the line of a YAML syntax error', () => {
    const text = exampleWith('  sre: [bob]\n', '  sre: [bob\n');
    expect(policyError(text).message).toMatch(/^stint\.yaml:4\d: YAML: /);
  });

  it('lists every problem, one per line, in line order', () => {
    const text = exampleWith('workflow: two-dba', 'workflow: nope').replace('approvers: [group:dba]', 'approvers: [group:nobody]');
    const lines = policyError(text).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('unknown workflow "nope"');
    expect(lines[1]).toContain('unknown group "nobody"');
  });

  it('carries the problems as structured issues in details', () => {
    const err = policyError(exampleWith('workflow: two-dba', 'workflow: nope'));
    expect(err.details?.issues).toEqual([
      expect.objectContaining({ file: 'stint.yaml', path: 'resources[0].workflow', line: expect.any(Number) }),
    ]);
  });

  it('refuses an empty file', () => {
    expect(policyError('').message).toBe('stint.yaml:1: the policy file is empty (start with version: 1)');
  });
});
