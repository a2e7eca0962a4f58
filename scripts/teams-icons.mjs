/**
 * Draws the Teams app icons from geometry and writes them as PNGs (no image library):
 * `manifests/teams/color.png` — 192×192, a rounded square in the accent colour with a white hourglass;
 * `manifests/teams/outline.png` — 32×32, the same hourglass white on transparent (Teams accepts only white and
 * transparent pixels there). Run `node scripts/teams-icons.mjs` after changing the drawing; commit the PNGs.
 * The accent colour must match `accentColor` in manifest.json (the test pins it).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.mjs';

export const ACCENT = [0x3b, 0x5b, 0xdb];
const SAMPLES = 4; // 4×4 samples per pixel: smooth edges without an anti-aliasing library

/** The hourglass in unit coordinates (0..1 across the glyph box): two bars and two triangles meeting at the waist. */
function inHourglass(x, y) {
  const inBar = x >= 0.26 && x <= 0.74 && ((y >= 0.16 && y <= 0.25) || (y >= 0.75 && y <= 0.84));
  if (inBar) return true;
  if (y < 0.25 || y > 0.75) return false;
  const halfWidth = 0.2 * (Math.abs(y - 0.5) / 0.25) + 0.03; // 0.23 at the bars, 0.03 at the waist
  return Math.abs(x - 0.5) <= halfWidth;
}

function inRoundedSquare(x, y, radius) {
  const dx = Math.max(radius - x, 0, x - (1 - radius));
  const dy = Math.max(radius - y, 0, y - (1 - radius));
  return dx * dx + dy * dy <= radius * radius;
}

/** Fraction (0..1) of a pixel's samples inside `shape`. */
function coverage(px, py, size, shape) {
  let hits = 0;
  for (let sy = 0; sy < SAMPLES; sy++) {
    for (let sx = 0; sx < SAMPLES; sx++) {
      if (shape((px + (sx + 0.5) / SAMPLES) / size, (py + (sy + 0.5) / SAMPLES) / size)) hits++;
    }
  }
  return hits / (SAMPLES * SAMPLES);
}

/** RGBA pixels, row by row. */
function draw(size, pixel) {
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rgba.set(pixel(x, y), (y * size + x) * 4);
  return rgba;
}

export function colorIcon(size = 192) {
  return draw(size, (x, y) => {
    const square = coverage(x, y, size, (u, v) => inRoundedSquare(u, v, 0.22));
    const glyph = coverage(x, y, size, inHourglass);
    const [r, g, b] = ACCENT.map((c) => Math.round(c + (255 - c) * glyph));
    return [r, g, b, Math.round(255 * square)];
  });
}

/** White everywhere; only alpha carries the shape, so no pixel is ever grey or coloured. */
export function outlineIcon(size = 32) {
  return draw(size, (x, y) => [255, 255, 255, Math.round(255 * coverage(x, y, size, inHourglass))]);
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))));
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA PNG; every row uses filter 0 (none), which keeps the test's decoder trivial. */
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, filter method 0, no interlace
  const stride = size * 4;
  const raw = Buffer.alloc(size * (stride + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = new URL('../manifests/teams/', import.meta.url);
  writeFileSync(new URL('color.png', dir), encodePng(192, colorIcon(192)));
  writeFileSync(new URL('outline.png', dir), encodePng(32, outlineIcon(32)));
  console.log('Wrote manifests/teams/color.png (192×192) and manifests/teams/outline.png (32×32).');
}
