import { describe, expect, it } from 'vitest';
import { exportAudit, formatAuditEvent } from '../../src/audit/export-events.ts';
import type { AuditRecord } from '../../src/core/ports.ts';
import { fromArray } from './make-chain.ts';

const HASH = 'ab'.repeat(32);

function event(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    seq: 42n,
    at: new Date(Date.UTC(2025, 2, 4, 5, 6, 7, 89)),
    actor: 'alice',
    action: 'request.approved',
    requestId: '01JREQ0000000000000000001',
    data: { scopes: ['aws:prod'], durationSec: 3600 },
    prevHash: 'cd'.repeat(32),
    hash: HASH,
    ...overrides,
  };
}

const opts = { hostname: 'stint-1.example.com' };

describe('formatAuditEvent json', () => {
  it('writes one NDJSON line with seq as a string and at in ISO 8601', () => {
    const line = formatAuditEvent(event({ data: { reason: 'line one\nline two' } }), 'json');
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      seq: '42',
      at: '2025-03-04T05:06:07.089Z',
      actor: 'alice',
      action: 'request.approved',
      requestId: '01JREQ0000000000000000001',
      data: { reason: 'line one\nline two' },
      prevHash: 'cd'.repeat(32),
      hash: HASH,
    });
  });
});

describe('formatAuditEvent syslog', () => {
  it('writes an RFC 5424 line at authpriv.notice', () => {
    expect(formatAuditEvent(event(), 'syslog', opts)).toBe(
      '<85>1 2025-03-04T05:06:07.089Z stint-1.example.com stint - request.approved ' +
        `[stint@32473 seq="42" actor="alice" requestId="01JREQ0000000000000000001" hash="${HASH}"] ` +
        '{"scopes":["aws:prod"],"durationSec":3600}',
    );
  });

  it('escapes ", \\ and ] in structured-data values', () => {
    const line = formatAuditEvent(event({ actor: 'ev"il]\\x' }), 'syslog', opts);
    expect(line).toContain(' actor="ev\\"il\\]\\\\x" ');
  });

  it('raises break-glass events to authpriv.alert', () => {
    expect(formatAuditEvent(event({ data: { breakGlass: true } }), 'syslog', opts)).toMatch(/^<81>1 /);
  });

  it('leaves requestId out when the event belongs to no request', () => {
    expect(formatAuditEvent(event({ requestId: null }), 'syslog', opts)).toContain(
      `[stint@32473 seq="42" actor="alice" hash="${HASH}"]`,
    );
  });

  it('keeps header fields to printable ASCII without spaces and uses the app name given', () => {
    const line = formatAuditEvent(event({ action: 'policy reload' }), 'syslog', { hostname: '', appName: 'stint-eu' });
    expect(line).toMatch(/^<85>1 \S+ - stint-eu - policy_reload \[/);
  });
});

describe('formatAuditEvent cef', () => {
  it('writes a CEF:0 line with the documented extension keys', () => {
    expect(formatAuditEvent(event(), 'cef')).toBe(
      'CEF:0|Stint|Stint|0.1|request.approved|request.approved|3|' +
        `rt=${Date.UTC(2025, 2, 4, 5, 6, 7, 89)} suser=alice externalId=42 ` +
        `cs1Label=requestId cs1=01JREQ0000000000000000001 cs2Label=hash cs2=${HASH} ` +
        'msg={"scopes":["aws:prod"],"durationSec":3600}',
    );
  });

  it('escapes =, \\ and line breaks in extension values', () => {
    const line = formatAuditEvent(event({ actor: 'a=b\\c\nd\re', data: {} }), 'cef');
    expect(line).toContain(' suser=a\\=b\\\\c\\nd\\re ');
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('escapes = and \\ inside the JSON message too', () => {
    const line = formatAuditEvent(event({ data: { note: 'x=1\n' } }), 'cef');
    expect(line.endsWith('msg={"note":"x\\=1\\\\n"}')).toBe(true);
  });

  it('escapes | and \\ in header fields', () => {
    const line = formatAuditEvent(event({ action: 'odd|action\\' }), 'cef');
    expect(line.startsWith('CEF:0|Stint|Stint|0.1|odd\\|action\\\\|odd\\|action\\\\|3|')).toBe(true);
  });

  it('rates break-glass events at severity 9', () => {
    expect(formatAuditEvent(event({ data: { breakGlass: true } }), 'cef').split('|')[6]).toBe('9');
  });
});

describe('exportAudit', () => {
  it('writes one line per event in order and returns the count', async () => {
    const lines: string[] = [];
    const events = [event({ seq: 1n }), event({ seq: 2n })];
    const { count, lastSeq } = await exportAudit(fromArray(events), 'json', async (line) => {
      lines.push(line);
    });
    expect(count).toBe(2);
    expect(lastSeq).toBe(2n);
    expect(lines.map((line) => JSON.parse(line).seq)).toEqual(['1', '2']);
  });
});
