/**
 * Checks card JSON the way a client would read it: the `adaptivecards` SDK parses it for version 1.5 (every parse
 * event, such as an unknown element type or a property newer than 1.5, is a problem) and validates it (duplicate
 * or missing input ids, required inputs without label or error message). The SDK silently accepts a few things a
 * Teams client would not, so a structural walk adds: `version` exactly '1.5', a non-empty `verb` on every
 * Action.Execute, an `id` on every Input, `text` on every TextBlock (the schema requires it). Parsing needs no DOM (rendering would); nothing here renders.
 */
import * as AC from 'adaptivecards';

export function assertValidAdaptiveCard(json: unknown): void {
  const problems = [...sdkProblems(json), ...structuralProblems(json)];
  if (problems.length > 0) throw new Error(`Invalid Adaptive Card:\n- ${problems.join('\n- ')}\n${JSON.stringify(json, null, 2)}`);
}

function sdkProblems(json: unknown): string[] {
  const card = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  card.parse(json, context);
  const events: AC.IValidationEvent[] = [];
  for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i));
  events.push(...card.validateProperties().validationEvents);
  return events.map((e) => `${AC.ValidationPhase[e.phase]} ${AC.ValidationEvent[e.event]}: ${e.message}`);
}

function structuralProblems(json: unknown): string[] {
  if (!isObject(json) || json.type !== 'AdaptiveCard') return ['the root is not an object of type "AdaptiveCard"'];
  const problems = json.version === '1.5' ? [] : [`version is ${JSON.stringify(json.version)}, not "1.5"`];
  walk(json, '$', (node, path) => {
    if (node.type === 'Action.Execute' && (typeof node.verb !== 'string' || node.verb.length === 0)) problems.push(`${path}: Action.Execute without a verb`);
    if (typeof node.type === 'string' && node.type.startsWith('Input.') && (typeof node.id !== 'string' || node.id.length === 0)) {
      problems.push(`${path}: ${node.type} without an id`);
    }
    if (node.type === 'TextBlock' && (typeof node.text !== 'string' || node.text.length === 0)) problems.push(`${path}: TextBlock without text`);
  });
  return problems;
}

function walk(value: unknown, path: string, visit: (node: Record<string, unknown>, path: string) => void): void {
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}[${i}]`, visit));
  else if (isObject(value)) {
    visit(value, path);
    for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`, visit);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
