/**
 * PGlite is one in-process database: a second process opening the same data folder would corrupt it. A pid
 * file in the folder keeps it to one process, and says which one holds it.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { StintError } from '../domain/errors.ts';

const LOCK_FILE = 'stint.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the folder for this process; returns the release function. A stale pid file (dead process) is taken over. */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new StintError(
          'UNAVAILABLE',
          `The embedded database in ${dataDir} is in use by process ${holder} (a running \`stint all\`?). ` +
            'Stop it first, or reach it through its API: set STINT_URL and STINT_TOKEN.',
          { pid: holder },
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new StintError('UNAVAILABLE', `Could not take the embedded database in ${dataDir}; remove ${path} if no Stint runs`);
}
