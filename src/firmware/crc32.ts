/**
 * CRC-32 (IEEE 802.3 / zlib, reflected polynomial 0xEDB88320), table driven.
 * Kept local to src/firmware because src/power/compress/crc32.ts did not exist
 * when this was written; the kernel's `~crc32_le(~0, …)` is exactly this.
 */

let TABLE: Uint32Array | undefined;

function table(): Uint32Array {
  if (TABLE) return TABLE;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  TABLE = t;
  return t;
}

/** zlib crc32(crc, bytes): pass the previous result to continue a running CRC. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = table();
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
