/**
 * `/jit` with no arguments: the request modal, its resource picker (options filtered by what the person may
 * request) and its submission, validated in the ack with field errors, through signed payloads and real Bolt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/index.ts';
import { resourceOptions } from '../../src/slack/modal.ts';
import { plainText, selected, SLACK_POLICY_YAML, slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
}, 60_000);
afterAll(async () => h?.close());

const form = (fields: { resource?: string | null; preset?: string | null; typed?: string; reason?: string; ticket?: string }) => ({
  resource: { stint_resource: selected(fields.resource ?? null, 'external_select') },
  duration: { duration: selected(fields.preset ?? null) },
  duration_custom: { duration_custom: plainText(fields.typed ?? null) },
  reason: { reason: plainText(fields.reason ?? null) },
  ticket: { ticket: plainText(fields.ticket ?? null) },
});
const submit = (userId: string, fields: Parameters<typeof form>[0]) => h.viewSubmission(userId, 'stint_request_modal', form(fields));
const optionValues = async (userId: string, typed: string): Promise<string[]> => {
  const answer = await h.blockSuggestion(userId, 'stint_resource', typed);
  expect(answer.status).toBe(200);
  return (answer.json().options as Array<{ value: string }>).map((o) => o.value);
};

describe('/jit request modal', () => {
  it('opens the modal on /jit with no arguments, with the command trigger id', async () => {
    const sent = await h.command('U0ALICE', '');
    expect(sent.status).toBe(200);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.view?.callback_id === 'stint_request_modal');
    expect(opened.args.trigger_id).toMatch(/^trig\./);
    const blocks = (opened.args.view.blocks as Array<{ block_id?: string }>).map((b) => b.block_id);
    expect(blocks).toEqual(['resource', 'duration', 'duration_custom', 'reason', 'ticket']);
  });

  it('lists only the resources the person may request, and a typed name matching a glob they may request', async () => {
    expect(await optionValues('U0ALICE', '')).toEqual(['prod-orders-db']);
    expect(await optionValues('U0CAROL', '')).toEqual([]);
    expect(await optionValues('U0CAROL', 'dev-payments')).toEqual(['dev-payments']);
    expect(await optionValues('U0ERIN', 'dev-payments')).toEqual([]);
    expect(await optionValues('U0ERIN', 'prod')).toEqual([]);
    expect(await optionValues('U0STRANGER', '')).toEqual([]);
  });

  it('returns a bad duration as a field error in the modal', async () => {
    const answer = await submit('U0ALICE', { resource: 'prod-orders-db', typed: 'soon', reason: 'INC-1 stuck orders' });
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ response_action: 'errors', errors: { duration_custom: expect.stringContaining('"soon" is not a duration') } });
  });

  it('returns a duration above the resource maxDuration as a field error naming the maximum', async () => {
    const answer = await submit('U0ALICE', { resource: 'prod-orders-db', typed: '6h', reason: 'INC-1 stuck orders' });
    expect(answer.json()).toMatchObject({ response_action: 'errors', errors: { duration_custom: expect.stringContaining('maxDuration of 4h') } });
  });

  it('returns a resource the person may not request as an error on the resource field', async () => {
    const answer = await submit('U0CAROL', { resource: 'prod-orders-db', preset: '1h', reason: 'checking indexes' });
    expect(answer.json()).toMatchObject({ response_action: 'errors', errors: { resource: expect.stringContaining('may not request prod-orders-db') } });
  });

  it('names every missing field at once, and a malformed ticket', async () => {
    const answer = await submit('U0ALICE', { ticket: 'not a ticket' });
    expect(answer.json()).toEqual({ response_action: 'errors', errors: { resource: expect.any(String), duration: expect.any(String), reason: expect.any(String), ticket: expect.stringContaining('INC-1234') } });
  });

  it('tells an unknown Slack user how to get in, in the modal', async () => {
    const answer = await submit('U0STRANGER', { resource: 'prod-orders-db', preset: '1h', reason: 'x' });
    expect(answer.json()).toMatchObject({ response_action: 'errors', errors: { resource: expect.stringContaining('add `slack: U0STRANGER`') } });
  });

  it('creates the request, closes the modal and sends the requester the request line', async () => {
    const answer = await submit('U0ALICE', { resource: 'prod-orders-db', preset: '2h', typed: '', reason: 'stuck orders', ticket: 'INC-77' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    const dm = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ALICE' && String(c.args.text).startsWith('Requested:'));
    expect(dm.args.text).toMatch(/^Requested: `jit_[0-9A-Z]{26}` \*PENDING\* · prod-orders-db for 2h — 0\/2 approvals/);
    const id = /`(jit_[0-9A-Z]{26})`/.exec(dm.args.text)![1]!;
    expect(await h.app.store.getRequest(id)).toMatchObject({ requesterId: 'alice', scopes: ['prod-orders-db'], durationSec: 7200, ticket: 'INC-77', via: 'slack' });
  });
});

describe('resourceOptions', () => {
  const policy = parsePolicy(SLACK_POLICY_YAML, 'slack-test.yaml');
  const now = new Date('2026-11-23T10:00:00Z');

  it('never offers a glob itself, only a concrete name typed by the person', () => {
    expect(resourceOptions(policy, 'alice', 'dev-*', now)).toEqual([]);
    expect(resourceOptions(policy, 'alice', 'dev-api', now).map((o) => o.value)).toEqual(['dev-api']);
    expect(resourceOptions(policy, 'alice', 'dev-api', now)[0]!.text.text).toBe('dev-api (dev-*) · up to 8h');
  });

  it('filters concrete resources by what was typed, case-insensitively', () => {
    expect(resourceOptions(policy, 'alice', 'ORDERS', now).map((o) => o.value)).toEqual(['prod-orders-db']);
    expect(resourceOptions(policy, 'alice', 'payments', now)).toEqual([]);
  });
});
