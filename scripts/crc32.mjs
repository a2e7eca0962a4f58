/**
 * CRC-32 (IEEE 802.3, the polynomial PNG chunks and ZIP entries use). Written out because `zlib.crc32` only
 * exists from Node 20.15/22.2 and we support every Node 20.10+. Shared by teams-icons.mjs and teams-package.mjs.
 */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** @param {Uint8Array} bytes @param {number} [seed] a previous result, to continue over several buffers */
export function crc32(bytes, seed = 0) {
  let c = ~seed >>> 0;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
