/**
 * Task-narrowed grants (issue 12): a request may ask for less than the resource's default access. Two grammars, one
 * per kind of target: tables (`SELECT on orders.shipments; SELECT, UPDATE on orders.items`, postgres) and AWS
 * actions on resource ARNs (`s3:GetObject on arn:aws:s3:::exports/*; s3:ListBucket on arn:aws:s3:::exports`,
 * an inline session policy). Parsed here (pure), checked against the policy in core (only resources whose provider
 * can express it, policy/narrowable.ts) and by the provider (a narrowing only ever takes away).
 */
import { StintError } from './errors.ts';

export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type TablePrivilege = (typeof TABLE_PRIVILEGES)[number];

export interface NarrowedTable {
  privileges: TablePrivilege[];
  /** `schema.table`, or `table` (the search path's). Plain identifiers only. */
  table: string;
}

/** One statement of an AWS session policy: these actions on these resources (Allow; the role's own policies still bound it). */
export interface NarrowedAwsStatement {
  actions: string[];
  resources: string[];
}

export type NarrowingGrammar = 'tables' | 'aws';
export type NarrowedEntry = NarrowedTable | NarrowedAwsStatement;
export type Narrowing = NarrowedEntry[];

export function isNarrowedTable(entry: NarrowedEntry): entry is NarrowedTable {
  return 'table' in entry;
}

export function isNarrowedAwsStatement(entry: NarrowedEntry): entry is NarrowedAwsStatement {
  return 'actions' in entry;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_$]{0,62}';
const TABLE = new RegExp(`^${IDENT}(?:\\.${IDENT})?$`);
const MAX_ENTRIES = 20;

const invalid = (message: string) =>
  new StintError('INVALID_BODY', `${message}. Write it as "SELECT on orders.shipments; SELECT, UPDATE on orders.items"`, { field: 'narrowing' });

export function parseNarrowing(text: string, grammar: NarrowingGrammar = 'tables'): Narrowing {
  return grammar === 'aws' ? parseAwsNarrowing(text) : parseTableNarrowing(text);
}

function parseTableNarrowing(text: string): NarrowedTable[] {
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
  return narrowing.map((n) => (isNarrowedTable(n) ? `${n.privileges.join(', ')} on ${n.table}` : `${n.actions.join(', ')} on ${n.resources.join(', ')}`)).join('; ');
}

// service:Action, wildcards allowed (s3:Get*); a resource is an ARN or *.
const AWS_ACTION = /^[a-z0-9-]{2,40}:[A-Za-z0-9*?]{1,128}$/;
const AWS_ARN = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:[^\s,;]{1,1024}$/;
/** AWS's limit on an inline session policy's plain text (AssumeRole `Policy`). */
export const AWS_SESSION_POLICY_MAX = 2048;

const invalidAws = (message: string) =>
  new StintError('INVALID_BODY', `${message}. Write it as "s3:GetObject, s3:ListBucket on arn:aws:s3:::exports, arn:aws:s3:::exports/*; dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders"`, { field: 'narrowing' });

function parseAwsNarrowing(text: string): NarrowedAwsStatement[] {
  const parts = text.split(';').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw invalidAws('The narrowing is empty');
  if (parts.length > MAX_ENTRIES) throw invalidAws(`At most ${MAX_ENTRIES} statements in one narrowing`);
  const statements = parts.map((part) => {
    const match = /^(.+?)\s+on\s+(.+)$/i.exec(part);
    if (!match) throw invalidAws(`"${clip(part)}" is not "<actions> on <resource ARNs>"`);
    const actions = [...new Set(match[1]!.split(',').map((w) => w.trim()))];
    const resources = [...new Set(match[2]!.split(',').map((w) => w.trim()))];
    for (const action of actions) if (!AWS_ACTION.test(action)) throw invalidAws(`"${clip(action)}" is not an AWS action such as s3:GetObject`);
    for (const resource of resources) if (resource !== '*' && !AWS_ARN.test(resource)) throw invalidAws(`"${clip(resource)}" is not a resource ARN (arn:aws:service:region:account:resource) or *`);
    return { actions, resources };
  });
  const size = awsSessionPolicy(statements).length;
  if (size > AWS_SESSION_POLICY_MAX) throw invalidAws(`That is a ${size}-character session policy; AWS takes at most ${AWS_SESSION_POLICY_MAX}: name fewer actions or resources (wildcards such as s3:Get* help)`);
  return statements;
}

/** The inline session policy (AssumeRole `Policy`) a narrowing becomes: the session may do at most this. */
export function awsSessionPolicy(statements: readonly NarrowedAwsStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', Action: s.actions, Resource: s.resources })) });
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
