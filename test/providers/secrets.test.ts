import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSecret } from '../../src/providers/secrets.ts';

const SECRET = 'postgres://admin:hunter2@db/app';

describe('resolveSecret', () => {
  it('reads env:NAME from the given environment', async () => {
    expect(await resolveSecret('env:TARGET_URL', { TARGET_URL: SECRET })).toBe(SECRET);
  });

  it('reads file:/path and trims it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stint-secret-')), 'url');
    writeFileSync(path, `${SECRET}\n`);
    expect(await resolveSecret(`file:${path}`)).toBe(SECRET);
  });

  it('names the reference when the variable is missing', async () => {
    await expect(resolveSecret('env:NOT_SET_ANYWHERE', {})).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringContaining('env:NOT_SET_ANYWHERE'),
    });
  });

  it('names the reference when the file is missing', async () => {
    await expect(resolveSecret('file:/nonexistent/stint/secret', {})).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringContaining('file:/nonexistent/stint/secret'),
    });
  });

  it('refuses an inline secret, pointing to env: or file:', async () => {
    await expect(resolveSecret(SECRET, {})).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringMatching(/env:NAME or file:\/path/),
    });
  });

  it('never puts the secret value in a message', async () => {
    const errors = await Promise.all([
      resolveSecret(SECRET, {}).catch((error: Error) => error),
      resolveSecret('env:EMPTY', { EMPTY: '   ' }).catch((error: Error) => error),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error);
      expect(JSON.stringify({ message: (error as Error).message, details: (error as { details?: unknown }).details })).not.toContain('hunter2');
    }
  });
});
