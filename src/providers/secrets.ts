/**
 * Provider secrets are references, never values in the policy file (DESIGN.md section 7): `env:NAME` reads an
 * environment variable, `file:/path` reads a file (trimmed, for mounted Kubernetes/Docker secrets). Messages
 * name the reference, never the value.
 */
import { readFile } from 'node:fs/promises';
import { StintError } from '../domain/errors.ts';

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const FILE_REF = /^file:(\/.*)$/;

/** True when `ref` has the shape of a secret reference (`env:NAME` or `file:/absolute/path`). */
export function isSecretRef(ref: string): boolean {
  return ENV_REF.test(ref) || FILE_REF.test(ref);
}

export async function resolveSecret(ref: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const envMatch = ENV_REF.exec(ref);
  if (envMatch) {
    const name = envMatch[1]!;
    const value = env[name]?.trim();
    if (!value) throw new StintError('POLICY_INVALID', `secret ${ref}: environment variable ${name} is not set or empty; set it before starting Stint`, { ref });
    return value;
  }
  const fileMatch = FILE_REF.exec(ref);
  if (fileMatch) {
    const path = fileMatch[1]!;
    let value: string;
    try {
      value = (await readFile(path, 'utf8')).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new StintError('POLICY_INVALID', `secret ${ref}: cannot read the file (${code}); check the path and its permissions`, { ref });
    }
    if (!value) throw new StintError('POLICY_INVALID', `secret ${ref}: the file is empty`, { ref });
    return value;
  }
  // Not echoed: an inline value is likely the secret itself.
  throw new StintError('POLICY_INVALID', 'inline secrets are refused: write env:NAME or file:/path instead of the value');
}
