/**
 * Task-narrowed grants (issue 12): a request may ask for less than the resource's default access, e.g.
 * `SELECT on orders.shipments; SELECT, UPDATE on orders.items`. Parsed here (pure), checked against the policy in
 * core (only resources whose provider can express it) and against the target by the provider (a narrowing only
 * ever takes away: the resource's own role must hold every privilege named).
 */
import { StintError } from './errors.ts';

export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

export interface NarrowedTable {
  privileges: TablePrivilege[];
  /** `schema.table`, or `table` (the search path's). Plain identifiers only. */
  table: string;
}

export type Narrowing = NarrowedTable[];

const IDENT = '[A-Za-z_][A-Za-z0-9_$]{0,62}';
const TABLE = new RegExp(`^${IDENT}(?:\\.${IDENT})?$`);
const MAX_ENTRIES = 20;

const invalid = (message: string) =>
  new StintError('INVALID_BODY', `${message}. Write it as "SELECT on orders.shipments; SELECT, UPDATE on orders.items"`, { field: 'narrowing' });

export function parseNarrowing(text: string): Narrowing {
  const parts = text.split(';').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw invalid('The narrowing is empty');
  if (parts.length > MAX_ENTRIES) throw invalid(`At most ${MAX_ENTRIES} tables in one narrowing`);
  const byTable = new Map<string, Set<TablePrivilege>>();
  for (const part of parts) {
    const match = /^(.+?)\s+on\s+(\S+)$/i.exec(part);
    if (!match) throw invalid(`"${clip(part)}" is not "<privileges> on <table>"`);
    const table = match[2]!;
    if (!TABLE.test(table)) throw invalid(`"${clip(table)}" is not a table name (schema.table, plain identifiers)`);
    const privileges = byTable.get(table) ?? new Set<TablePrivilege>();
    for (const word of match[1]!.split(',').map((w) => w.trim().toUpperCase())) {
      if (!(TABLE_PRIVILEGES as readonly string[]).includes(word)) throw invalid(`"${clip(word)}" is not one of ${TABLE_PRIVILEGES.join(', ')}`);
      privileges.add(word as TablePrivilege);
    }
    byTable.set(table, privileges);
  }
  return [...byTable].map(([table, privileges]) => ({ table, privileges: TABLE_PRIVILEGES.filter((p) => privileges.has(p)) }));
}

export function formatNarrowing(narrowing: Narrowing): string {
  return narrowing.map((n) => `${n.privileges.join(', ')} on ${n.table}`).join('; ');
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
