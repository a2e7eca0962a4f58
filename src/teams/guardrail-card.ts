/** The Adaptive Card of the guardrail alert of notify/guardrail-view.ts (1:1 to the account's owner and each admin). */
import type { GuardrailAlertView } from '../notify/guardrail-view.ts';
import type { AdaptiveCard } from './cards.ts';

const TEXT_MAX = 1000;

export function guardrailCard(view: GuardrailAlertView): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    version: '1.5',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    body: [
      { type: 'TextBlock', text: `🚨 ${escapeText(clip(view.title, 150))}`, weight: 'Bolder', size: 'Medium', color: 'Attention', wrap: true },
      { type: 'FactSet', facts: view.facts.map((f) => ({ title: f.label, value: escapeText(clip(f.value, TEXT_MAX)) })) },
      { type: 'TextBlock', text: escapeText(clip(view.next, TEXT_MAX)), isSubtle: true, wrap: true },
    ],
  };
}

/** As cards.ts: Teams reads markdown in TextBlocks and facts, so user text is escaped. */
function escapeText(value: string): string {
  return value.replace(/([\\*_[\]~`])/g, '\\$1').replace(/^(\s*)([#>])/gm, '$1\\$2');
}

function clip(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}
