import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/chat/parse-command.ts';

const ID = 'jit_01JDT6Z3Q4M5N6P7R8S9T0V1W2';

describe('parseCommand', () => {
  it('reads every verb of DESIGN.md section 6', () => {
    expect(parseCommand('')).toEqual({ ok: true, command: { verb: 'modal' } });
    expect(parseCommand('  request prod-orders-db 2h INC-1234 stuck   orders ')).toEqual({
      ok: true,
      command: { verb: 'request', resource: 'prod-orders-db', duration: '2h', reason: 'INC-1234 stuck orders' },
    });
    expect(parseCommand('breakglass prod-orders-db PT30M site down')).toMatchObject({ ok: true, command: { verb: 'breakglass', duration: 'PT30M' } });
    expect(parseCommand(`approve ${ID} ok then`)).toEqual({ ok: true, command: { verb: 'approve', id: ID, comment: 'ok then' } });
    expect(parseCommand(`review ${ID} session checked`)).toEqual({ ok: true, command: { verb: 'review', id: ID, comment: 'session checked' } });
    expect(parseCommand(`review ${ID}`)).toEqual({ ok: true, command: { verb: 'review', id: ID, comment: '' } });
    expect(parseCommand(`deny ${ID} not during the freeze`)).toEqual({ ok: true, command: { verb: 'deny', id: ID, comment: 'not during the freeze' } });
    for (const verb of ['cancel', 'done', 'revoke'] as const) expect(parseCommand(`${verb} ${ID}`)).toEqual({ ok: true, command: { verb, id: ID } });
    expect(parseCommand(`extend ${ID} 1h`)).toEqual({ ok: true, command: { verb: 'extend', id: ID, duration: '1h' } });
    expect(parseCommand('LIST')).toEqual({ ok: true, command: { verb: 'list' } });
    expect(parseCommand('pending')).toEqual({ ok: true, command: { verb: 'pending' } });
    expect(parseCommand('help')).toEqual({ ok: true, command: { verb: 'help' } });
  });

  it('takes --mfa-code out of a request or an approval (step-up), and refuses it empty or on other verbs', () => {
    expect(parseCommand('request orders-db 30m INC-1 stuck --mfa-code 123456')).toEqual({
      ok: true,
      command: { verb: 'request', resource: 'orders-db', duration: '30m', reason: 'INC-1 stuck', mfaCode: '123456' },
    });
    expect(parseCommand('approve jit_01ARZ3NDEKTSV4RRFFQ69G5FAV --mfa-code 654321 looks fine')).toEqual({
      ok: true,
      command: { verb: 'approve', id: 'jit_01ARZ3NDEKTSV4RRFFQ69G5FAV', comment: 'looks fine', mfaCode: '654321' },
    });
    expect(parseCommand('request orders-db 30m INC-1 --narrow "SELECT on a.b" --mfa-code 123456')).toMatchObject({ ok: true, command: { narrowing: 'SELECT on a.b', mfaCode: '123456' } });
    expect(parseCommand('request orders-db 30m INC-1 --mfa-code')).toMatchObject({ ok: false, usage: expect.stringMatching(/^Give the 6-digit code/) });
    expect(parseCommand('done jit_01ARZ3NDEKTSV4RRFFQ69G5FAV --mfa-code 123456')).toMatchObject({ ok: false, usage: expect.stringMatching(/goes with request, breakglass and approve only/) });
  });

  it('takes --narrow "…" out of the reason, in plain or typographic quotes, and refuses it empty or on break-glass', () => {
    expect(parseCommand('request orders-db 30m INC-1 stuck --narrow "SELECT on orders.shipments; SELECT on orders.items"')).toEqual({
      ok: true,
      command: { verb: 'request', resource: 'orders-db', duration: '30m', reason: 'INC-1 stuck', narrowing: 'SELECT on orders.shipments; SELECT on orders.items' },
    });
    expect(parseCommand('request orders-db 30m --narrow \u201cSELECT on orders.shipments\u201d INC-1 stuck')).toMatchObject({
      ok: true,
      command: { reason: 'INC-1 stuck', narrowing: 'SELECT on orders.shipments' },
    });
    expect(parseCommand('request orders-db 30m INC-1 --narrow')).toMatchObject({ ok: false, usage: expect.stringMatching(/^Say what to narrow to/) });
    expect(parseCommand('breakglass orders-db 30m fire --narrow "SELECT on a"')).toMatchObject({ ok: false, usage: expect.stringMatching(/^Break-glass takes the whole resource/) });
  });

  it('accepts a request id typed in lower case', () => {
    expect(parseCommand(`done ${ID.toLowerCase()}`)).toEqual({ ok: true, command: { verb: 'done', id: ID } });
  });

  it.each([
    ['request prod-orders-db', 'Say what, for how long and why'],
    ['request prod-orders-db 2h', 'A reason is required'],
    ['request prod-orders-db later fix', '`later` is not a duration'],
    [`deny ${ID}`, 'Say why you deny it'],
    ['approve 42', '`42` is not a request id'],
    ['extend', 'Missing the request id'],
    ['frobnicate', 'Unknown command `frobnicate`'],
  ])('explains what is wrong with %j', (text, message) => {
    const parsed = parseCommand(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.usage).toContain(message);
  });

  it('never throws: any text is a command or a usage message that does not echo Slack markup back', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('', 'request ', 'approve ', 'deny ', 'extend ', 'breakglass '), (tail, head) => {
        const parsed = parseCommand(head + tail);
        if (parsed.ok) expect(parsed.command.verb).toBeTypeOf('string');
        else expect(parsed.usage.split('\n\n')[0]).not.toMatch(/<[@#!]/);
      }),
      { numRuns: 2000 },
    );
  });
});
