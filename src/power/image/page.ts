/**
 * Page-size constants and little-endian field access shared by the image
 * format modules. x86-64: PAGE_SIZE 4096, sector_t / unsigned long / size_t
 * are 8 bytes, int 4 bytes; everything on disk is little endian.
 */

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/** Largest integer we accept from a u64 field before treating it as hostile. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Read a u64 as a JS number, or NaN when it does not fit in 2^53 (callers reject NaN). */
export function u64n(dv: DataView, off: number): number {
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  if (hi >= 0x200000) return Number.NaN;
  return hi * 0x100000000 + lo;
}

/** Write a non-negative integer < 2^53 as u64 LE. */
export function setU64n(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / 0x100000000), true);
}

/** ASCII text of `len` bytes at `off` (NULs kept so "S1SUSPEND\0" compares over 10 bytes). */
export function ascii(bytes: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(bytes[off + i]!);
  return s;
}

export function putAscii(bytes: Uint8Array, off: number, len: number, text: string): void {
  for (let i = 0; i < len; i++) bytes[off + i] = i < text.length ? text.charCodeAt(i) & 0xff : 0;
}

/** True when every byte is zero (fast path over 32-bit words when aligned). */
export function isZeroPage(bytes: Uint8Array): boolean {
  if ((bytes.byteOffset & 3) === 0 && (bytes.byteLength & 3) === 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
