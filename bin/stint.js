#!/usr/bin/env node
// The `stint` binary: the built code (npm run build) when it is there and not older than the sources, else the
// TypeScript sources through tsx. A stale dist/ in a working copy would otherwise run yesterday's code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const sources = fileURLToPath(new URL('../src', import.meta.url));

function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'generated') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const useBuilt = existsSync(built) && (!existsSync(sources) || statSync(built).mtimeMs >= newestUnder(sources));
if (useBuilt) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
