/**
 * Reads the policy file: YAML → schema → model → reference checks. Any problem throws one POLICY_INVALID
 * StintError whose message lists every problem as `file:line: key.path: what is wrong`.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { LineCounter, isScalar, parseDocument, visit } from 'yaml';
import { StintError } from '../domain/errors.ts';
import { buildPolicy } from './build-policy.ts';
import { checkReferences } from './check-references.ts';
import type { Policy } from './model.ts';
import { formatIssue, formatPath, fromZodIssues, type LocatedIssue, type PolicyIssue } from './policy-issues.ts';
import { policyFileSchema } from './policy-schema.ts';
import { lineOf } from './yaml-lines.ts';

/** The policy's version id: the first 12 hex characters of the SHA-256 of the file's text. */
export function policyFingerprint(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export function parsePolicy(text: string, source: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const fail = (issues: PolicyIssue[]): never => {
    const located: LocatedIssue[] = issues
      .map((issue) => ({
        file: source,
        line: issue.line ?? lineOf(doc, lines, issue.path, issue.atKey),
        path: formatPath(issue.path),
        message: issue.message,
      }))
      .sort((a, b) => a.line - b.line);
    throw new StintError('POLICY_INVALID', located.map(formatIssue).join('\n'), { issues: located });
  };

  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => ({
        path: [],
        line: e.linePos?.[0].line ?? 1,
        message: `YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    );
  }
  // Keys that are lists, maps or nothing would be stringified by toJS: refuse them instead.
  const badKeys: PolicyIssue[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value !== null && typeof pair.key.value !== 'object') return;
      const offset = rangeOf(pair.key)?.[0] ?? rangeOf(pair.value)?.[0];
      const line = offset === undefined ? 1 : lines.linePos(offset).line;
      badKeys.push({ path: [], line, message: 'YAML: keys must be plain names, not lists, maps or empty' });
    },
  });
  if (badKeys.length > 0) return fail(badKeys);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail([{ path: [], line: 1, message: `YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  if (data === null || data === undefined) return fail([{ path: [], line: 1, message: 'the policy file is empty (start with version: 1)' }]);

  const parsed = policyFileSchema.safeParse(data);
  if (!parsed.success) return fail(fromZodIssues(parsed.error.issues, data, policyFileSchema));
  const file = parsed.data;
  const policy = buildPolicy(file, { source, fingerprint: policyFingerprint(text) });
  const issues = checkReferences(file, policy);
  if (issues.length > 0) return fail(issues);
  return policy;
}

function rangeOf(node: unknown): readonly number[] | undefined {
  return (node as { range?: readonly number[] } | null | undefined)?.range;
}

/** Reads and parses `path`; an unreadable file is POLICY_INVALID too (callers keep the last good policy). */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'file not found (set STINT_POLICY to your policy file; examples/stint.yaml is a starting point)'
        : String((err as Error).message ?? err);
    throw new StintError('POLICY_INVALID', `${path}: cannot read the policy file: ${reason}`, {
      issues: [{ file: path, line: 0, path: '', message: `cannot read the policy file: ${reason}` }],
    });
  }
  return parsePolicy(text, path);
}
