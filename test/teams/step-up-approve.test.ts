/**
 * Step-up on Teams approvals (issue 12): where the workflow asks approvers of risky requests for a second factor,
 * the approval card asks for the authenticator code in the card (Teams has no modal), and the Approve invoke passes
 * it to the same use case; without a good code nothing is counted and the card says what to do. Where an OIDC issuer
 * is configured the card also links to a re-login, after which Approve counts without a code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { totpCode, totpStep } from '../../src/core/totp.ts';
import { teamsActor } from '../../src/teams/messages.ts';
import { createFakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';
import { FakeOidcIssuer } from '../fakes/oidc-issuer.ts';
import { followReLoginLink } from '../support/oidc-browser.ts';
import { enrollTotpInStore } from '../support/totp-enrollment.ts';
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

const PUBLIC = 'https://stint.example.test';
let h: TeamsHarness;
let idp: FakeOidcIssuer;
beforeAll(async () => {
  idp = await new FakeOidcIssuer({ clientId: 'stint-teams', clientSecret: 'teams-oidc-secret', redirectUri: `${PUBLIC}/auth/oidc/callback` }).start();
  const oidc = { STINT_PUBLIC_URL: PUBLIC, STINT_OIDC_ISSUER: idp.url, STINT_OIDC_CLIENT_ID: 'stint-teams', STINT_OIDC_CLIENT_SECRET: 'teams-oidc-secret' };
  h = await teamsHarness({ yaml: YAML, providers: [createFakePostgresProvider()], env: { STINT_SECRET_KEY: KEY.toString('base64'), ...oidc } });
  await enrollTotpInStore(h.app.store, 'carol', SEED, KEY);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await idp?.stop();
});

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

  it('links to a re-login in the card, and counts Approve without a code after it', async () => {
    const { request } = await createRequest(teamsActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-6 replica lag' }, h.app.core);
    const refused = await click({ requestId: request.id });
    const signIn = refused.actions.find((a: { title?: string }) => a.title === 'Sign in again');
    expect(signIn).toMatchObject({ type: 'Action.OpenUrl', url: expect.stringMatching(/^https:\/\/stint\.example\.test\/auth\/step-up\/[A-Za-z0-9_-]+$/) });
    const text = JSON.stringify(refused);
    expect(text).toContain('press Sign in again, then Approve again, or type the code from your authenticator app');
    // Signing in again also does: the code field no longer insists.
    expect(text).toContain('"id":"mfaCode","label":"Code from your authenticator app, or leave it empty and sign in again');
    expect(text).toContain('"isRequired":false');
    idp.signInAs = 'carol@example.com';
    expect((await followReLoginLink(h.app, signIn.url)).callback?.statusCode).toBe(200);
    const approved = await click({ requestId: request.id });
    expect(JSON.stringify(approved)).toContain('You approved this request');
    expect(await h.app.store.listDecisions(request.id)).toEqual([expect.objectContaining({ approverId: 'carol', verdict: 'approve' })]);
  });
});
