/**
 * The Teams app package: manifest.json within the v1.17 schema's limits (checked against
 * microsoft/json-schemas teams/v1.17/MicrosoftTeams.schema.json), icons Teams accepts, and
 * `scripts/teams-package.mjs` producing a zip Teams can read, or refusing with exit 2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TEAMS_USAGE } from '../../src/teams/replies.ts';

const dir = new URL('../../manifests/teams/', import.meta.url);
const raw = readFileSync(new URL('manifest.json', dir), 'utf8');
const manifest = JSON.parse(raw);
const SCRIPT = fileURLToPath(new URL('../../scripts/teams-package.mjs', import.meta.url));
const APP_ID = '2f1b5a3c-1d2e-4f50-8a9b-0c1d2e3f4a5b';
const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;

type Command = { title: string; description: string };
type CommandList = { scopes: string[]; commands: Command[] };

/** The verbs TEAMS_USAGE documents: each `@Stint <verb>` it shows. */
const usageVerbs = [...new Set([...TEAMS_USAGE.matchAll(/@Stint (\w+)/g)].map((m) => m[1]))];

describe('Teams manifest.json', () => {
  it('has every field the v1.17 schema requires, with placeholders for the app id', () => {
    for (const key of ['manifestVersion', 'version', 'id', 'developer', 'name', 'description', 'icons', 'accentColor']) expect(manifest).toHaveProperty(key);
    expect(manifest.$schema).toBe('https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json');
    expect(manifest.manifestVersion).toBe('1.17');
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.id).toBe('${{TEAMS_APP_ID}}');
    expect(manifest.bots).toHaveLength(1);
    expect(manifest.bots[0].botId).toBe(manifest.id);
    expect(manifest.accentColor).toMatch(/^#[0-9a-fA-F]{6}$/);
  });

  it('keeps names, descriptions and developer links within the schema limits', () => {
    expect(manifest.name.short.length).toBeLessThanOrEqual(30);
    expect(manifest.name.full.length).toBeLessThanOrEqual(100);
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
    expect(manifest.developer.name.length).toBeLessThanOrEqual(32);
    for (const key of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) expect(manifest.developer[key]).toMatch(/^\$\{\{STINT_PUBLIC_URL\}\}/);
    expect(manifest.validDomains).toEqual(['${{STINT_PUBLIC_HOST}}']);
    expect(manifest.permissions).toEqual(['identity', 'messageTeamMembers']);
  });

  it('declares a conversational bot in personal, team and group chat scopes', () => {
    const bot = manifest.bots[0];
    expect(bot.scopes).toEqual(['personal', 'team', 'groupChat']);
    expect(bot.isNotificationOnly).toBe(false);
    expect(bot.supportsFiles).toBe(false);
  });

  it('gives each scope its own command list of at most 10 commands, titles ≤ 32 and descriptions ≤ 128 characters', () => {
    const lists: CommandList[] = manifest.bots[0].commandLists;
    expect(lists.length).toBeLessThanOrEqual(3);
    expect(lists.flatMap((l) => l.scopes).sort()).toEqual(['groupChat', 'personal', 'team']);
    for (const list of lists) {
      expect(list.commands.length).toBeLessThanOrEqual(10);
      for (const c of list.commands) {
        expect(c.title.length, c.title).toBeLessThanOrEqual(32);
        expect(c.description.length, c.title).toBeLessThanOrEqual(128);
      }
    }
  });

  // v1.17 allows 10 commands per list and TEAMS_USAGE has 11 verbs: `help` is the one left out, since
  // `@Stint` alone or any unknown word already answers with the usage.
  it('lists every verb of TEAMS_USAGE but help as a command, in every scope', () => {
    expect(usageVerbs).toContain('help');
    for (const list of manifest.bots[0].commandLists as CommandList[]) {
      expect(list.commands.map((c) => c.title).sort()).toEqual(usageVerbs.filter((v) => v !== 'help').sort());
    }
  });
});

type Png = { width: number; height: number; colorType: number; rgba: Buffer };

/** Enough of a PNG decoder for 8-bit RGBA, non-interlaced, any of the five row filters. */
function decodePng(file: Buffer): Png {
  expect(file.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let width = 0, height = 0, colorType = -1;
  const idat: Buffer[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      [width, height, colorType] = [data.readUInt32BE(0), data.readUInt32BE(4), data[9]!];
      expect([data[8], data[12]]).toEqual([8, 0]); // bit depth 8, not interlaced
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const byte = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter} in row ${y}`);
      rgba[y * stride + x] = (byte + predictor) & 0xff;
    }
  }
  return { width, height, colorType, rgba };
}

const pixel = (png: Png, x: number, y: number) => [...png.rgba.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4)];

describe('Teams icons', () => {
  const color = decodePng(readFileSync(new URL(manifest.icons.color, dir)));
  const outline = decodePng(readFileSync(new URL(manifest.icons.outline, dir)));

  it('are a 192×192 colour icon and a 32×32 outline, both RGBA PNGs', () => {
    expect([color.width, color.height, color.colorType]).toEqual([192, 192, 6]);
    expect([outline.width, outline.height, outline.colorType]).toEqual([32, 32, 6]);
  });

  it('paints the colour icon in the manifest accent colour', () => {
    const accent = manifest.accentColor.slice(1).match(/../g).map((h: string) => parseInt(h, 16));
    expect(pixel(color, 20, 96)).toEqual([...accent, 255]);
  });

  it('draws the outline with only white or fully transparent pixels, and some of each', () => {
    const alphas: number[] = [];
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const [r, g, b, a] = pixel(outline, x, y);
        if (a !== 0) expect([r, g, b], `pixel ${x},${y}`).toEqual([255, 255, 255]);
        alphas.push(a!);
      }
    }
    expect(alphas).toContain(0);
    expect(alphas).toContain(255);
  });
});

/** Entries of a zip, read from its central directory (found through the end record), inflated. */
function readZip(file: Buffer): Map<string, Buffer> {
  const end = file.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(0);
  const count = file.readUInt16LE(end + 10);
  const entries = new Map<string, Buffer>();
  for (let at = file.readUInt32LE(end + 16), i = 0; i < count; i++) {
    expect(file.readUInt32LE(at)).toBe(0x02014b50);
    const [method, size] = [file.readUInt16LE(at + 10), file.readUInt32LE(at + 24)];
    const [compressed, nameLength, extra, comment] = [file.readUInt32LE(at + 20), file.readUInt16LE(at + 28), file.readUInt16LE(at + 30), file.readUInt16LE(at + 32)];
    const name = file.toString('utf8', at + 46, at + 46 + nameLength);
    const local = file.readUInt32LE(at + 42);
    expect(file.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + file.readUInt16LE(local + 26) + file.readUInt16LE(local + 28);
    const body = file.subarray(start, start + compressed);
    const data = method === 8 ? inflateRawSync(body) : body;
    expect(data.length, name).toBe(size);
    entries.set(name, data);
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

describe('scripts/teams-package.mjs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'stint-teams-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (env: Record<string, string>, out = join(tmp, 'x.zip')) =>
    spawnSync(process.execPath, [SCRIPT, '--out', out], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });

  it('writes a zip of exactly manifest.json, color.png and outline.png with the real app id and host', () => {
    const out = join(tmp, 'x.zip');
    execFileSync(process.execPath, [SCRIPT, '--out', out], { env: { PATH: process.env.PATH ?? '', TEAMS_APP_ID: APP_ID, STINT_PUBLIC_URL: 'https://stint.example.com/' } });
    const entries = readZip(readFileSync(out));
    expect([...entries.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const text = entries.get('manifest.json')!.toString('utf8');
    expect(text).not.toContain('${{');
    const packaged = JSON.parse(text);
    expect([packaged.id, packaged.bots[0].botId]).toEqual([APP_ID, APP_ID]);
    expect(packaged.id).toMatch(GUID);
    expect(packaged.validDomains).toEqual(['stint.example.com']);
    expect(packaged.developer.privacyUrl).toBe('https://stint.example.com/privacy');
    expect(entries.get('outline.png')).toEqual(readFileSync(new URL('outline.png', dir)));
  });

  it('refuses with exit 2 and names TEAMS_APP_ID when it is missing', () => {
    const result = run({ STINT_PUBLIC_URL: 'https://stint.example.com' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('TEAMS_APP_ID');
  });

  it('refuses with exit 2 an app id that is not a GUID', () => {
    const result = run({ TEAMS_APP_ID: 'stint-bot', STINT_PUBLIC_URL: 'https://stint.example.com' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('TEAMS_APP_ID');
  });

  it('refuses with exit 2 a STINT_PUBLIC_URL that is not https', () => {
    const result = run({ TEAMS_APP_ID: APP_ID, STINT_PUBLIC_URL: 'http://stint.example.com' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('STINT_PUBLIC_URL');
  });
});
