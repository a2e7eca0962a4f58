/**
 * For benches that run the product as production does, from `npm run build`'s dist/: builds it, runs the bench,
 * and leaves the checkout as it was (a dist/ someone else built stays; one this bench built is removed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export async function withBuild<T>(measure: () => Promise<T>): Promise<T> {
  const hadDist = existsSync(join(ROOT, 'dist'));
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    return await measure();
  } finally {
    if (!hadDist) rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  }
}
