/**
 * `/jit` text → a command, or a usage error that says what was expected. Total: any string gives one of the two
 * (property-tested), never an exception. Durations are checked here only for shape; the policy checks bounds.
 */
export type ChatCommand =
  | { verb: 'modal' }
  | { verb: 'help' }
  | { verb: 'list' }
  | { verb: 'pending' }
  | { verb: 'request' | 'breakglass'; resource: string; duration: string; reason: string; narrowing?: string; mfaCode?: string }
  | { verb: 'approve' | 'deny'; id: string; comment: string; mfaCode?: string }
  | { verb: 'review'; id: string; comment: string }
  | { verb: 'cancel' | 'done' | 'revoke'; id: string }
  | { verb: 'extend'; id: string; duration: string };

export type ParsedCommand = { ok: true; command: ChatCommand } | { ok: false; usage: string };

export const USAGE = [
  '`/jit` — open the request form',
  '`/jit request <resource> <duration> <reason…>` — e.g. `/jit request prod-orders-db 2h INC-1234 stuck orders`',
  '`/jit request <resource> <duration> <reason…> --narrow "SELECT on orders.shipments"` — ask for less than the whole resource',
  '`/jit list` — your requests · `/jit pending` — requests waiting for you',
  '`/jit approve <id> [comment]` · `/jit deny <id> <reason>`',
  '`/jit cancel <id>` · `/jit done <id>` · `/jit extend <id> <duration>` · `/jit revoke <id>`',
  '`/jit breakglass <resource> <duration> <reason…>` — emergency access, granted at once and loudly reported',
  '`/jit review <id> [comment]` — acknowledge the review of a break-glass use (reviewers)',
  '`/jit help` — this list',
].join('\n');

const DURATION = /^(?:\d+(?:s|m|h|d)|P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?)$/i;
const REQUEST_ID = /^jit_[0-9A-Za-z]{26}$/;

/** `--narrow "…"` anywhere after the verb; Slack may turn the quotes into typographic ones. */
const NARROW = /(?:^|\s)--narrow(?:\s+(?:"([^"]*)"|\u201c([^\u201d]*)\u201d|'([^']*)'|(\S+)))?/;

export function parseCommand(input: string): ParsedCommand {
  const narrow = NARROW.exec(input);
  const text = narrow ? input.slice(0, narrow.index) + ' ' + input.slice(narrow.index + narrow[0].length) : input;
  const narrowing = narrow ? (narrow[1] ?? narrow[2] ?? narrow[3] ?? narrow[4] ?? '').trim() : undefined;
  const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
  const [verb, ...rest] = words;
  if (verb === undefined) return { ok: true, command: { verb: 'modal' } };
  const usage = (what: string): ParsedCommand => ({ ok: false, usage: `${what}\n\n${USAGE}` });
  const id = (word: string | undefined, form: string): string | ParsedCommand => {
    if (!word) return usage(`Missing the request id: \`${form}\``);
    if (!REQUEST_ID.test(word)) return usage(`\`${clip(word)}\` is not a request id (they look like \`jit_01J…\`, 30 characters): \`${form}\``);
    return word.slice(0, 4) + word.slice(4).toUpperCase();
  };
  switch (verb.toLowerCase()) {
    case 'help':
      return { ok: true, command: { verb: 'help' } };
    case 'list':
      return { ok: true, command: { verb: 'list' } };
    case 'pending':
      return { ok: true, command: { verb: 'pending' } };
    case 'request':
    case 'breakglass': {
      const v = verb.toLowerCase() as 'request' | 'breakglass';
      const form = `/jit ${v} <resource> <duration> <reason…>`;
      const [resource, duration, ...reason] = rest;
      if (!resource || !duration) return usage(`Say what, for how long and why: \`${form}\``);
      if (!DURATION.test(duration)) return usage(`\`${clip(duration)}\` is not a duration: use \`30m\`, \`2h\`, \`1d\` or ISO 8601 like \`PT2H\``);
      if (reason.length === 0) return usage(`A reason is required (a ticket key first is picked up): \`${form}\``);
      if (narrowing !== undefined && (v === 'breakglass' || narrowing === '')) {
        return usage(v === 'breakglass' ? 'Break-glass takes the whole resource: drop `--narrow`' : 'Say what to narrow to: `--narrow "SELECT on orders.shipments"`');
      }
      return { ok: true, command: { verb: v, resource, duration, reason: reason.join(' '), ...(narrowing ? { narrowing } : {}) } };
    }
    case 'approve':
    case 'deny': {
      const v = verb.toLowerCase() as 'approve' | 'deny';
      const form = v === 'deny' ? '/jit deny <id> <reason>' : '/jit approve <id> [comment]';
      const parsed = id(rest[0], form);
      if (typeof parsed !== 'string') return parsed;
      const comment = rest.slice(1).join(' ');
      if (v === 'deny' && comment === '') return usage(`Say why you deny it: \`${form}\``);
      return { ok: true, command: { verb: v, id: parsed, comment } };
    }
    case 'review': {
      const parsed = id(rest[0], '/jit review <id> [comment]');
      return typeof parsed === 'string' ? { ok: true, command: { verb: 'review', id: parsed, comment: rest.slice(1).join(' ') } } : parsed;
    }
    case 'cancel':
    case 'done':
    case 'revoke': {
      const v = verb.toLowerCase() as 'cancel' | 'done' | 'revoke';
      const parsed = id(rest[0], `/jit ${v} <id>`);
      return typeof parsed === 'string' ? { ok: true, command: { verb: v, id: parsed } } : parsed;
    }
    case 'extend': {
      const parsed = id(rest[0], '/jit extend <id> <duration>');
      if (typeof parsed !== 'string') return parsed;
      const duration = rest[1];
      if (!duration || !DURATION.test(duration)) return usage('Say by how much: `/jit extend <id> <duration>`, e.g. `1h`');
      return { ok: true, command: { verb: 'extend', id: parsed, duration } };
    }
    default:
      return usage(`Unknown command \`${clip(verb)}\`.`);
  }
}

/** Echoes user input back safely: short, and without Slack's control characters. */
function clip(word: string): string {
  const cleaned = word.replace(/[<>&`]/g, '');
  return cleaned.length > 40 ? `${cleaned.slice(0, 40)}…` : cleaned;
}
