import { describe, expect, it } from 'vitest';
import { quickstartLines } from '../../src/cli/quickstart.ts';
import { loadPolicyFile } from '../../src/policy/index.ts';
import { testPolicy } from '../support/policy-fixture.ts';

describe('quickstart lines', () => {
  it('name an eligible requester and enough distinct approvers for the example policy', async () => {
    const lines = quickstartLines(await loadPolicyFile('examples/stint.yaml'), new Date('2026-11-23T10:00:00Z')).join('\n');
    expect(lines).toContain('npx stint request prod-orders-db 1h');
    expect(lines).toMatch(/STINT_TOKEN=\$(ALICE|BOB) npx stint request/);
    expect(lines).toContain('STINT_TOKEN=$CAROL npx stint approve');
    expect(lines).toContain('STINT_TOKEN=$DAVE npx stint approve');
  });

  it('never names the requester as an approver', () => {
    const lines = quickstartLines(testPolicy(), new Date('2026-11-23T10:00:00Z'));
    const requester = /STINT_TOKEN=\$(\w+) npx stint request/.exec(lines.join('\n'))![1];
    expect(lines.filter((l) => l.includes('approve')).some((l) => l.includes(`$${requester} `))).toBe(false);
  });
});
