/**
 * `npm run bench [name…]`: runs the bench modules in bench/ (all of them, or those named) one after another
 * and merges each one's figures into bench/results.json under its own key (DESIGN.md section 12), so a bench
 * rewrites only its key and the others' figures survive.
 *
 * A bench module is `bench/<name>.ts` exporting `name` (the results key, same as the file name) and
 * `run(): Promise<Record<string, number>>`. Helpers that are not benches live in bench/support/.
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchModule {
  name: string;
  run(): Promise<Record<string, number>>;
}

type BenchEntry = Record<string, unknown> & { measuredAt: string; machine: { cpus: number; node: string } };

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');

function isBenchModule(module: Record<string, unknown>): module is Record<string, unknown> & BenchModule {
  return typeof module.name === 'string' && typeof module.run === 'function';
}

/** Bench files: `bench/<name>.ts` for the names asked for, else every .ts file in bench/ but this one. */
async function benchFiles(requested: string[]): Promise<string[]> {
  const files = (await readdir(BENCH_DIR)).filter((file) => file.endsWith('.ts') && file !== 'run.ts').sort();
  if (requested.length === 0) return files;
  const unknown = requested.filter((name) => !files.includes(`${name}.ts`));
  if (unknown.length > 0) {
    const available = files.map((file) => file.replace(/\.ts$/, '')).join(', ');
    throw new Error(`Unknown bench: ${unknown.join(', ')}. Available: ${available}`);
  }
  return requested.map((name) => `${name}.ts`);
}

/** Imports one file lazily (a broken bench must not stop the others); null when it is a helper. */
async function loadBench(file: string): Promise<BenchModule | null> {
  const module = (await import(pathToFileURL(path.join(BENCH_DIR, file)).href)) as Record<string, unknown>;
  return isBenchModule(module) ? module : null;
}

async function readResults(): Promise<Record<string, BenchEntry>> {
  try {
    return JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as Record<string, BenchEntry>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/** Re-reads the file just before writing, so a bench finishing elsewhere meanwhile keeps its key. */
async function saveResult(name: string, figures: Record<string, number>): Promise<BenchEntry> {
  const entry: BenchEntry = {
    ...figures,
    measuredAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
  };
  const results = { ...(await readResults()), [name]: entry };
  const temporary = `${RESULTS_FILE}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(results, null, 2)}\n`);
  await rename(temporary, RESULTS_FILE);
  return entry;
}

async function runOne(file: string): Promise<boolean> {
  const started = performance.now();
  try {
    const bench = await loadBench(file);
    if (bench === null) return true;
    process.stdout.write(`bench ${bench.name}: running\n`);
    const entry = await saveResult(bench.name, await bench.run());
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`bench ${bench.name}: done in ${seconds}s ${JSON.stringify(entry)}\n`);
    return true;
  } catch (error) {
    process.stderr.write(`bench ${file}: FAILED, results.json keeps its previous figures\n`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return false;
  }
}

async function main(requested: string[]): Promise<number> {
  let files: string[];
  try {
    files = await benchFiles(requested);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  let failed = 0;
  // One at a time: benches measure throughput and must not compete for the two cores.
  for (const file of files) if (!(await runOne(file))) failed++;
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
