/**
 * Step-up on Teams approvals (issue 12): where the workflow asks approvers of risky requests for a second factor,
 * the approval card asks for the authenticator code in the card (Teams has no modal), and the Approve invoke passes
 * it to the same use case; without a good code nothing is counted and the card says what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { createSecretBox } from '../../src/core/secret-box.ts';
import { totpCode, totpStep } from '../../src/core/totp.ts';
import { teamsActor } from '../../src/teams/messages.ts';
import { createFakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';
import { ALICE_AAD, CAROL_AAD, TEAM_CHANNEL, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

const KEY = Buffer.alloc(32, 6);
const YAML = `version: 1
identity: { emailDomains: [example.com] }
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre], accounts: { postgres: alice } }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw, mode: ephemeral }
    maxDuration: 8h
    workflow: two-dba
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 1, channels: { teams: ["${TEAM_CHANNEL}"] }, stepUp: { approvers: { riskAtLeast: 0 } } }
`;
const SEED = Buffer.from('carol-seed-0123456789').subarray(0, 20);

let h: TeamsHarness;
beforeAll(async () => {
  h = await teamsHarness({ yaml: YAML, providers: [createFakePostgresProvider()], env: { STINT_SECRET_KEY: KEY.toString('base64') } });
  const now = new Date();
  await h.app.store.startTotpFactor('carol', createSecretBox(KEY).seal(SEED), now, { actor: 'carol', action: 'mfa.enrolment_started', requestId: null, data: {}, at: now });
  await h.app.store.useTotpStep('carol', totpStep(now) - 10, now, null);
}, 60_000);
afterAll(async () => h?.close());

async function click(data: Record<string, unknown>): Promise<any> {
  const sent = await h.invoke(CAROL_AAD, 'stint.approve', data);
  expect(sent.status).toBe(200);
  const card = sent.json().value;
  assertValidAdaptiveCard(card);
  return card;
}

describe('Teams approval with step-up', () => {
  it('asks for the code in the card, refuses an approval without it, and counts one with it', async () => {
    const { request } = await createRequest(teamsActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-5 debugging' }, h.app.core);
    const refused = await click({ requestId: request.id });
    const text = JSON.stringify(refused);
    expect(text).toContain('needs your second factor');
    // The card the approver now sees asks for the code above Approve.
    expect(text).toContain('"id":"mfaCode"');
    expect(await h.app.store.listDecisions(request.id)).toEqual([]);

    const approved = await click({ requestId: request.id, mfaCode: totpCode(SEED, totpStep(new Date())) });
    expect(JSON.stringify(approved)).toContain('You approved this request');
    expect(await h.app.store.listDecisions(request.id)).toEqual([expect.objectContaining({ approverId: 'carol', verdict: 'approve' })]);
  });
});
