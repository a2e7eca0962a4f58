/**
 * Problems found in a policy file, and how they are told: `stint.yaml:14: workflows.two-dba.requird:
 * unknown key "requird" (did you mean "required"?)`. Zod issues are translated here.
 */
import type { z } from 'zod';
import { didYouMean } from './suggest.ts';
import type { KeyPath } from './yaml-lines.ts';

export interface PolicyIssue {
  path: KeyPath;
  message: string;
  /** Point at the key itself rather than its value (unknown keys). */
  atKey?: boolean;
  /** Set when known already (YAML syntax errors). */
  line?: number;
}

/** A located issue as carried in `StintError.details.issues`. */
export interface LocatedIssue {
  file: string;
  line: number;
  path: string;
  message: string;
}

export function formatPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function formatIssue(issue: LocatedIssue): string {
  return issue.path === ''
    ? `${issue.file}:${issue.line}: ${issue.message}`
    : `${issue.file}:${issue.line}: ${issue.path}: ${issue.message}`;
}

/** Translates zod's issues into policy issues, with "did you mean" for misspelt keys and options. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], data: unknown, schema: z.ZodType): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, path);
        for (const key of issue.keys) {
          out.push({ path: [...path, key], atKey: true, message: `unknown key "${key}"${didYouMean(key, known)}` });
        }
        break;
      }
      case 'invalid_type':
        out.push({
          path,
          message:
            valueAt(data, path) === undefined
              ? `missing (expected ${issue.expected})`
              : issue.message.replace(/^Invalid input: /, ''),
        });
        break;
      case 'invalid_value': {
        const got = valueAt(data, path);
        const options = issue.values.map((v) => String(v));
        out.push({
          path,
          message: `expected ${options.length === 1 ? options[0] : `one of ${options.join(', ')}`}, got ${JSON.stringify(got) ?? 'nothing'}${
            typeof got === 'string' ? didYouMean(got, options) : ''
          }`,
        });
        break;
      }
      case 'invalid_key':
        out.push({ path, atKey: true, message: issue.issues[0]?.message ?? issue.message });
        break;
      default:
        out.push({ path, message: issue.message.replace(/^Invalid input: /, '') });
    }
  }
  return out;
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(node, segment)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

interface DefLike {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  innerType?: unknown;
  in?: unknown;
}

/** The keys the schema allows at `path` (for suggestions); empty when it cannot tell. */
function knownKeysAt(schema: unknown, path: KeyPath): string[] {
  let node = unwrap(schema);
  for (const segment of path) {
    const def = node?._zod.def;
    if (!def) return [];
    if (def.type === 'object' && typeof segment === 'string') node = unwrap(def.shape?.[segment]);
    else if (def.type === 'array') node = unwrap(def.element);
    else if (def.type === 'record') node = unwrap(def.valueType);
    else return [];
  }
  const def = node?._zod.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(schema: unknown): { _zod: { def: DefLike } } | undefined {
  let node = schema as { _zod: { def: DefLike } } | undefined;
  for (let depth = 0; node && depth < 10; depth++) {
    const def = node._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    node = inner as { _zod: { def: DefLike } };
  }
  return node;
}
