/**
 * Audit events for a SIEM (DESIGN.md section 8): NDJSON, RFC 5424 syslog or CEF, one event per line.
 * Formatting is pure; `exportAudit` only streams. Break-glass events (`data.breakGlass === true`) get a
 * higher severity so a SIEM rule can page on them.
 */
import { hostname as osHostname } from 'node:os';
import type { AuditRecord } from '../core/ports.ts';
import { signAnchor, type AuditAnchor, type SigningKey } from './anchors.ts';

export const EXPORT_FORMATS = ['json', 'syslog', 'cef'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** Syslog HOSTNAME. @defaultValue `os.hostname()` */
  hostname?: string;
  /** Syslog APP-NAME. @defaultValue `'stint'` */
  appName?: string;
}

/** Our private enterprise number in syslog structured data (RFC 5424 section 7.2.2). */
export const SYSLOG_SD_ID = 'stint@32473';
const FACILITY_AUTHPRIV = 10;
const SEVERITY_ALERT = 1;
const SEVERITY_NOTICE = 5;
/** CEF severity runs 0–10: notice maps to "Low", alert to "Very-High". */
const CEF_SEVERITY_NOTICE = 3;
const CEF_SEVERITY_ALERT = 9;
const CEF_PRODUCT_VERSION = '0.1';

function isBreakGlass(event: AuditRecord): boolean {
  return event.data.breakGlass === true;
}

export function formatJson(event: AuditRecord): string {
  return JSON.stringify({
    seq: event.seq.toString(),
    at: event.at.toISOString(),
    actor: event.actor,
    action: event.action,
    requestId: event.requestId,
    data: event.data,
    prevHash: event.prevHash,
    hash: event.hash,
  });
}

/** RFC 5424 header fields are PRINTUSASCII without spaces; anything else becomes `_`, empty becomes `-`. */
function headerField(value: string, maxLength: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, maxLength);
  return cleaned === '' ? '-' : cleaned;
}

/** RFC 5424 section 6.3.3: `"`, `\` and `]` are escaped with a backslash inside PARAM-VALUE. */
export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, '\\$&');
}

export function formatSyslog(event: AuditRecord, opts: ExportOptions = {}): string {
  const severity = isBreakGlass(event) ? SEVERITY_ALERT : SEVERITY_NOTICE;
  const pri = FACILITY_AUTHPRIV * 8 + severity;
  const params = [`seq="${event.seq}"`, `actor="${escapeSdValue(event.actor)}"`];
  if (event.requestId !== null) params.push(`requestId="${escapeSdValue(event.requestId)}"`);
  params.push(`hash="${escapeSdValue(event.hash)}"`);
  return [
    `<${pri}>1`,
    event.at.toISOString(),
    headerField(opts.hostname ?? osHostname(), 255),
    headerField(opts.appName ?? 'stint', 48),
    '-', // PROCID
    headerField(event.action, 32), // MSGID
    `[${SYSLOG_SD_ID} ${params.join(' ')}]`,
    JSON.stringify(event.data),
  ].join(' ');
}

/** CEF header fields: `\` and `|` escaped; a line break would end the record, so it becomes a space. */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, '\\$&').replace(/\r\n|[\r\n]/g, ' ');
}

/** CEF extension values: `\` and `=` escaped, line breaks written as `\n` / `\r`. */
export function escapeCefExtension(value: string): string {
  return value
    .replace(/[\\=]/g, '\\$&')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

export function formatCef(event: AuditRecord): string {
  const action = escapeCefHeader(event.action);
  const severity = isBreakGlass(event) ? CEF_SEVERITY_ALERT : CEF_SEVERITY_NOTICE;
  const header = ['CEF:0', 'Stint', 'Stint', CEF_PRODUCT_VERSION, action, action, String(severity)].join('|');
  const extension: Array<[string, string]> = [
    ['rt', String(event.at.getTime())],
    ['suser', event.actor],
    ['externalId', event.seq.toString()],
  ];
  if (event.requestId !== null) extension.push(['cs1Label', 'requestId'], ['cs1', event.requestId]);
  extension.push(['cs2Label', 'hash'], ['cs2', event.hash], ['msg', JSON.stringify(event.data)]);
  return `${header}|${extension.map(([key, value]) => `${key}=${escapeCefExtension(value)}`).join(' ')}`;
}

/** One event as one line, without the trailing newline. */
export function formatAuditEvent(event: AuditRecord, format: ExportFormat, opts?: ExportOptions): string {
  switch (format) {
    case 'json':
      return formatJson(event);
    case 'syslog':
      return formatSyslog(event, opts);
    case 'cef':
      return formatCef(event);
  }
}

/** An anchor as an export line in `format` (NDJSON anchors are what `stint audit verify --anchors` reads). */
export function formatAnchor(anchor: AuditAnchor, format: ExportFormat, opts: ExportOptions = {}): string {
  switch (format) {
    case 'json':
      return JSON.stringify(anchor);
    case 'syslog': {
      const params = ['seq', 'hash', 'keyId', 'signature'].map((k) => `${k}="${escapeSdValue(anchor[k as keyof AuditAnchor])}"`);
      const host = headerField(opts.hostname ?? osHostname(), 255);
      return `<${FACILITY_AUTHPRIV * 8 + SEVERITY_NOTICE}>1 ${anchor.at} ${host} ${headerField(opts.appName ?? 'stint', 48)} - audit.anchor [${SYSLOG_SD_ID} ${params.join(' ')}] -`;
    }
    case 'cef': {
      const header = ['CEF:0', 'Stint', 'Stint', CEF_PRODUCT_VERSION, 'audit.anchor', 'audit.anchor', String(CEF_SEVERITY_NOTICE)].join('|');
      const ext: Array<[string, string]> = [
        ['rt', String(Date.parse(anchor.at))],
        ['externalId', anchor.seq],
        ['cs2Label', 'hash'],
        ['cs2', anchor.hash],
        ['cs3Label', 'signature'],
        ['cs3', anchor.signature],
        ['cs4Label', 'keyId'],
        ['cs4', anchor.keyId],
      ];
      return `${header}|${ext.map(([k, v]) => `${k}=${escapeCefExtension(v)}`).join(' ')}`;
    }
  }
}

export interface AnchorOptions {
  key: SigningKey;
  /** An anchor after every this many events, and one after the last. @defaultValue 1000 */
  every?: number;
  /** @defaultValue `() => new Date()` */
  now?: () => Date;
  /** Also anchor the last event written. @defaultValue true (`--follow` anchors by the minute instead) */
  atEnd?: boolean;
}

export interface ExportResult {
  count: number;
  /** The last event written (the next export or poll continues after it). */
  lastSeq: bigint | null;
  lastHash: string | null;
}

/**
 * Streams events to `write`, one call per event with the line WITHOUT a trailing newline (the sink adds its
 * own framing: `\n` for a file or stdout, a datagram per line for UDP syslog). Awaits each write, so a
 * slow sink applies back-pressure. With `anchors`, a signed anchor of the head follows every N events and the
 * last one.
 */
export async function exportAudit(
  events: AsyncIterable<AuditRecord>,
  format: ExportFormat,
  write: (line: string) => void | Promise<void>,
  opts?: ExportOptions & { anchors?: AnchorOptions },
): Promise<ExportResult> {
  const resolved: ExportOptions = { hostname: opts?.hostname ?? osHostname(), appName: opts?.appName };
  const anchors = opts?.anchors;
  const every = Math.max(1, anchors?.every ?? 1000);
  const anchor = async (seq: bigint, hash: string) => {
    if (anchors) await write(formatAnchor(signAnchor({ seq, hash }, (anchors.now ?? (() => new Date()))(), anchors.key), format, resolved));
  };
  let count = 0;
  let last: AuditRecord | null = null;
  for await (const event of events) {
    await write(formatAuditEvent(event, format, resolved));
    count++;
    last = event;
    if (count % every === 0) await anchor(event.seq, event.hash);
  }
  if (last && count % every !== 0 && anchors?.atEnd !== false) await anchor(last.seq, last.hash);
  return { count, lastSeq: last?.seq ?? null, lastHash: last?.hash ?? null };
}
