import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports } from '../../scripts/check-imports.ts';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'stint-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('layering check', () => {
  it('passes on the real source tree', () => {
    expect(checkImports(resolve(import.meta.dirname, '../../src'))).toEqual([]);
  });

  it('flags core importing Prisma', () => {
    const root = tree({ 'core/x.ts': "import { PrismaClient } from '@prisma/client';\n" });
    expect(checkImports(root)).toEqual(['core/x.ts: core/ may not import "@prisma/client"']);
  });

  it('flags domain importing an adapter folder by relative path', () => {
    const root = tree({ 'domain/x.ts': "import { a } from '../store/open-store.ts';\n" });
    expect(checkImports(root)[0]).toContain('domain/ may not import ../store/open-store.ts');
  });

  it('flags a dynamic import of node:http from core', () => {
    const root = tree({ 'core/y.ts': "const http = await import('node:http');\n" });
    expect(checkImports(root)).toHaveLength(1);
  });

  it('flags a provider importing the store', () => {
    const root = tree({ 'providers/x/p.ts': "import { openStore } from '../../store/open-store.ts';\n" });
    expect(checkImports(root)[0]).toContain('providers/ may not import ../../store/open-store.ts');
  });

  it('allows core importing policy and domain', () => {
    const root = tree({ 'core/z.ts': "import { a } from '../policy/index.ts';\nimport type { B } from '../domain/request.ts';\n" });
    expect(checkImports(root)).toEqual([]);
  });
});
