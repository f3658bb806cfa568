/** Small formatting helpers shared by the CLI and the inspector. */

/** `0x` + lowercase hex, optionally zero-padded to `width` digits. */
export function hex(v: number | bigint, width = 0): string {
  const s = (typeof v === 'bigint' ? BigInt.asUintN(64, v) : v).toString(16);
  return `0x${s.padStart(width, '0')}`;
}

/** Lowercase hex without prefix, zero-padded. */
export function hexRaw(v: number | bigint, width = 0): string {
  const s = (typeof v === 'bigint' ? BigInt.asUintN(64, v) : v).toString(16);
  return s.padStart(width, '0');
}

/**
 * Parse an unsigned integer as users write it: `0x…` hex, plain decimal, or
 * with a K/M/G/T suffix (binary units, as the kernel's memparse()).
 * Returns undefined when the text is not a number.
 */
export function parseNumber(text: string): bigint | undefined {
  const t = text.trim();
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)([kKmMgGtTpPeE]?)$/.exec(t);
  if (!m) return undefined;
  let v = BigInt(m[1]!);
  const suffix = m[2]!.toLowerCase();
  const shift = { '': 0n, k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n }[suffix] ?? 0n;
  v <<= shift;
  return v;
}

/** Format a byte count the way people read it (KiB/MiB/GiB/TiB). */
export function humanBytes(bytes: number | bigint): string {
  let v = Number(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** printk `%#010x` of a u32 (CRC32s, checksums): 0x + 8 digits. */
export function hex32(v: number): string {
  return hex(v >>> 0, 8);
}
