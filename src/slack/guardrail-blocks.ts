/** Block Kit for the guardrail alert of notify/guardrail-view.ts (a DM to the account's owner and each admin). */
import type { types } from '@slack/bolt';
import type { GuardrailAlertView } from '../notify/guardrail-view.ts';
import type { SlackMessage } from './blocks.ts';
import { clipEscaped } from './blocks.ts';

const HEADER_MAX = 150;
const FIELD_MAX = 1500;

export function guardrailMessage(view: GuardrailAlertView): SlackMessage {
  const header = [...view.title].length > HEADER_MAX - 4 ? `${[...view.title].slice(0, HEADER_MAX - 5).join('')}…` : view.title;
  const blocks: types.KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `🚨 ${header}` } },
    { type: 'section', fields: view.facts.map((f) => ({ type: 'mrkdwn' as const, text: `*${f.label}*\n${clipEscaped(f.value, FIELD_MAX)}` })) },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clipEscaped(view.next, FIELD_MAX) }] },
  ];
  return { text: `:rotating_light: ${clipEscaped(view.title, 2900)}`, blocks };
}
