/**
 * `npm run teams:package` — builds the Teams app package (a zip of manifest.json, color.png and outline.png at its
 * root) from `manifests/teams/`, with the placeholders filled in from the environment:
 *   TEAMS_APP_ID      the bot's Microsoft App ID (a GUID) → `${{TEAMS_APP_ID}}` (app id and bot id)
 *   STINT_PUBLIC_URL  https URL Teams reaches Stint at    → `${{STINT_PUBLIC_URL}}`, its host → `${{STINT_PUBLIC_HOST}}`
 * Options: `--out FILE` (default dist/stint-teams.zip). Exit codes: 0 written, 2 usage or environment error.
 * The zip is written here (stored names, deflate, CRC-32) because Node has no zip writer and we add no dependency.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.mjs';

const SOURCE = new URL('../manifests/teams/', import.meta.url);
const FILES = ['manifest.json', 'color.png', 'outline.png'];
const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/; // the manifest schema's `guid` pattern

function fail(message) {
  console.error(`teams:package: ${message}`);
  process.exit(2);
}

function parseArgs(argv) {
  let out = 'dist/stint-teams.zip';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = argv[++i];
    else fail(`unknown argument "${argv[i]}". Usage: npm run teams:package [-- --out FILE]`);
  }
  return { out: resolve(out) };
}

function readEnv(env) {
  const appId = env.TEAMS_APP_ID?.trim();
  if (!appId) fail('TEAMS_APP_ID is not set: give the Microsoft App ID of your Azure Bot (a GUID).');
  if (!GUID.test(appId)) fail(`TEAMS_APP_ID must be a GUID like 00000000-0000-0000-0000-000000000000, got "${appId}".`);
  const raw = env.STINT_PUBLIC_URL?.trim();
  if (!raw) fail('STINT_PUBLIC_URL is not set: give the https URL Teams reaches Stint at, e.g. https://stint.example.com.');
  let url;
  try {
    url = new URL(raw);
  } catch {
    fail(`STINT_PUBLIC_URL is not a URL: "${raw}".`);
  }
  if (url.protocol !== 'https:') fail(`STINT_PUBLIC_URL must be an https URL (Teams calls bots over TLS only), got "${raw}".`);
  // No trailing slash, so `${{STINT_PUBLIC_URL}}/privacy` never becomes `//privacy`.
  const publicUrl = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  return { TEAMS_APP_ID: appId.toLowerCase(), STINT_PUBLIC_URL: publicUrl, STINT_PUBLIC_HOST: url.host };
}

/** Fills `${{NAME}}` placeholders; values are JSON-escaped so the manifest stays valid JSON. */
function fillManifest(template, values) {
  const filled = template.replace(/\$\{\{(\w+)\}\}/g, (whole, name) => (name in values ? JSON.stringify(values[name]).slice(1, -1) : whole));
  const left = filled.match(/\$\{\{\w*\}?\}?/);
  if (left) fail(`manifests/teams/manifest.json still has the placeholder ${left[0]} after substitution; only ${Object.keys(values).join(', ')} are known.`);
  JSON.parse(filled); // a broken template must not reach Teams' upload dialog
  return Buffer.from(filled, 'utf8');
}

/** A zip archive (PKWARE APPNOTE 4.3): local headers + data, central directory, end record. */
function zip(entries) {
  const DOS_DATE = (1 << 5) | 1; // 1980-01-01 00:00: a fixed time keeps the package byte-for-byte reproducible
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const body = deflateRawSync(data, { level: 9 });
    const fields = (h, at) => {
      h.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
      h.writeUInt16LE(0x0800, at + 2); // flag bit 11: names are UTF-8
      h.writeUInt16LE(8, at + 4); // method: deflate
      h.writeUInt16LE(0, at + 6);
      h.writeUInt16LE(DOS_DATE, at + 8);
      h.writeUInt32LE(crc32(data), at + 10);
      h.writeUInt32LE(body.length, at + 14);
      h.writeUInt32LE(data.length, at + 18);
      h.writeUInt16LE(nameBytes.length, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    fields(central, 6);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const { out } = parseArgs(process.argv.slice(2));
const values = readEnv(process.env);
const entries = FILES.map((name) => {
  const data = readFileSync(new URL(name, SOURCE));
  return { name, data: name === 'manifest.json' ? fillManifest(data.toString('utf8'), values) : data };
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zip(entries));
console.log(`Wrote ${out} (app id ${values.TEAMS_APP_ID}, bot endpoint ${values.STINT_PUBLIC_URL}/api/messages).
Next: upload it — Teams admin center → Teams apps → Manage apps → Upload new app, or in Teams:
Apps → Manage your apps → Upload an app → Upload a custom app. Then add Stint to the team whose channels your
policy names, and ask each approver to open a 1:1 chat with Stint once.`);
