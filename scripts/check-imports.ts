/**
 * The layering check (DESIGN.md section 1, STYLE.md "Shape"): imports point inward only. domain/ imports
 * nothing outside itself; policy/ only domain/ and parsing libraries; core/ only domain/, policy/ and small
 * pure libraries — never Prisma, Bolt, botbuilder, BullMQ, ioredis or node:http; providers/ only the clients of
 * the systems they grant on.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Rule {
  layer: string;
  /** Layers (folders under src/) this layer may import from. */
  layers: string[];
  /** Bare module specifiers allowed. */
  packages: string[];
}

export const RULES: Rule[] = [
  { layer: 'domain', layers: ['domain'], packages: [] },
  { layer: 'policy', layers: ['domain', 'policy'], packages: ['zod', 'yaml', '@bufbuild/cel', 'node:fs', 'node:fs/promises', 'node:path', 'node:crypto', 'node:net'] },
  { layer: 'core', layers: ['domain', 'policy', 'core'], packages: ['ulid', 'node:crypto'] },
  // Providers talk to target systems through their own clients; never to Stint's store, chat or queues.
  {
    layer: 'providers',
    layers: ['domain', 'policy', 'core', 'providers'],
    packages: [
      'zod',
      'pg',
      'node:crypto',
      'node:fs',
      'node:fs/promises',
      'node:path',
      'node:net',
      // the clients of the systems providers grant on (issue 9); node:http(s) stays out: the SDKs do the calls
      '@aws-sdk/client-sso-admin',
      '@aws-sdk/client-iam',
      '@aws-sdk/client-sts',
      '@aws-sdk/client-identitystore',
      '@azure/arm-authorization',
      '@azure/identity',
      '@kubernetes/client-node',
      'google-auth-library',
      // hosts and directories (issue 8): SSH to Linux targets, LDAP for groups and directory accounts
      'ssh2',
      'ldapts',
    ],
  },
];

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

export function checkImports(srcRoot: string): string[] {
  const violations: string[] = [];
  for (const rule of RULES) {
    for (const file of filesUnder(join(srcRoot, rule.layer))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2] ?? match[3]!;
        const where = relative(srcRoot, file);
        if (spec.startsWith('.')) {
          const target = relative(srcRoot, resolve(dirname(file), spec));
          const layer = target.split(/[\\/]/)[0]!;
          if (target.startsWith('..') || !rule.layers.includes(layer)) violations.push(`${where}: ${rule.layer}/ may not import ${spec} (${layer}/)`);
        } else if (!rule.packages.includes(spec)) {
          violations.push(`${where}: ${rule.layer}/ may not import "${spec}"`);
        }
      }
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
  const violations = checkImports(root);
  if (violations.length > 0) {
    console.error(`Layering violations (imports must point inward, DESIGN.md section 1):\n  ${violations.join('\n  ')}`);
    process.exit(1);
  }
  console.log('Layering OK: domain/, policy/, core/ and providers/ import only what their layer may.');
}
