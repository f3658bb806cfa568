/**
 * LZO1X-1: the compressor/decompressor pair hibernation uses for its chunks
 * (kernel/power/swap.c: lzo1x_1_compress() in 3.10, the crypto "lzo" alg in
 * 6.x — never "lzo-rle"). Written from the stream description in the
 * kernel's Documentation/staging/lzo.rst; no LZO source was used.
 *
 * Stream layout (one LZO1X block, no header, no length):
 *
 *   first byte   18..255   copy (b − 17) literals; state = that count if < 4, else 4
 *                0..17     an ordinary instruction (17 = 0x11 starts the end marker)
 *   instruction (S = the low 2 bits of the byte named below = literals copied after a match):
 *     0000LLLL           state 0: literal run, 3 + (L ?: 15 + 255·zeros + nz) bytes; state ← 4
 *     0000DDSS HHHHHHHH  state 1..3: match len 2, dist = (H<<2) + D + 1
 *                        state 4:    match len 3, dist = (H<<2) + D + 2049
 *     0001HLLL [len] LE16   match len 2 + (L ?: 7 + 255·zeros + nz),
 *                        dist = 16384 + (H<<14) + (LE16>>2), S = LE16 & 3;
 *                        dist 16384 (with len 3) = end of stream: 0x11 0x00 0x00
 *     001LLLLL [len] LE16   match len 2 + (L ?: 31 + 255·zeros + nz), dist = (LE16>>2) + 1, S = LE16 & 3
 *     01LDDDSS HHHHHHHH  match len 3 + L,  dist = (H<<3) + D + 1  (≤ 2 KiB)
 *     1LLDDDSS HHHHHHHH  match len 5 + LL, dist = (H<<3) + D + 1  (≤ 2 KiB)
 *   after a match, S (0..3) literal bytes follow directly and state ← S.
 *
 * The compressor is a greedy single-probe hash matcher shaped like
 * lzo1x_1_compress(): input taken in blocks of M4_MAX_OFFSET + 1 = 49152 bytes
 * with a fresh 8192-entry dictionary of 16-bit block offsets per block
 * (lib/lzo/lzo1x_compress.c, lzo1x_1_do_compress()), so all distances fit
 * the 48 KiB window, and a miss skips ahead 1 + (literals so far >> 5) bytes.
 * It emits only the 2-byte (M2), M3 and M4 match forms, which are legal in
 * every state. Its bytes are not identical to the kernel's, but every
 * LZO1X decompressor (liblzo2, Linux) reads them.
 */
import { CodecError } from './codec-errors.js';

const M2_MAX_LEN = 8;
const M2_MAX_OFFSET = 0x0800;
const M3_MAX_OFFSET = 0x4000;
const M4_MAX_OFFSET = 0xbfff;
/** Block size of lzo1x_1_compress(): every match distance stays < 49152. */
const BLOCK = M4_MAX_OFFSET + 1;
/** D_BITS in lib/lzo/lzodefs.h: 8192 dictionary slots (LZO1X_1_MEM_COMPRESS = 16 KiB). */
const D_BITS = 13;
const D_SIZE = 1 << D_BITS;
/** Shorter copies are done byte by byte (cheaper than a typed-array call). */
const SHORT_COPY = 32;

/** lzo1x_worst_compress(n) of 3.10: n + n/16 + 64 + 3 (6.x adds 2 more; the caller adds them). */
export function lzo1xWorstCompress(n: number): number {
  return n + Math.floor(n / 16) + 64 + 3;
}

/** Size of the work memory (dictionary entries) lzo1xCompress wants. */
export const LZO1X_1_DICT_ENTRIES = D_SIZE;

let sharedDict: Uint16Array | undefined;

/**
 * Compress `src` into `dst` (which must hold lzo1xWorstCompress(src.length)
 * bytes). `work` is an optional dictionary of ≥ 8192 entries to reuse (only
 * a Uint16Array is used: one element type keeps the hot loop monomorphic).
 * Returns the number of bytes written, end marker included.
 *
 * Speed (this is the image writer's hot loop, run by every compression
 * worker): everything per match is inline, and literal runs of 4..31 bytes
 * are moved as 32-bit words. A block's first position is never probed (its
 * dictionary is empty, every slot pointing at that position itself), so the
 * probe needs no "reference before the current position" test. A word
 * copy may write up to 3 bytes past the run; the next match or the end
 * marker always overwrites them, so the stream is byte-identical to the
 * bytewise version. Output never depends on speed choices.
 */
export function lzo1xCompress(src: Uint8Array, dst: Uint8Array, work?: Uint16Array | Uint32Array): number {
  const n = src.length;
  if (dst.length < lzo1xWorstCompress(n)) {
    throw new CodecError(
      'LZO_DST_TOO_SMALL',
      `LZO compress: destination holds ${dst.length} bytes, lzo1x_worst_compress(${n}) needs ${lzo1xWorstCompress(n)}`,
      0,
    );
  }
  let dict: Uint16Array;
  if (work instanceof Uint16Array && work.length >= D_SIZE) dict = work;
  else {
    sharedDict ??= new Uint16Array(D_SIZE);
    dict = sharedDict;
  }

  let op = 0;
  let ii = 0; // first literal not yet emitted
  let ip = 0;
  // lzo1x_1_compress leaves the last 20 bytes to the literal tail; the
  // probe needs 4 readable bytes, the margin only keeps the tail cheap.
  const limit = n - 20;
  // Unaligned little-endian 32-bit loads (one DataView op instead of four
  // byte loads and shifts); the hash and the match test work on these words.
  const sv = new DataView(src.buffer, src.byteOffset, n);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.length);
  const lastWord = n - 4;

  while (ip < limit) {
    const base = ip;
    const bEnd = Math.min(limit, base + BLOCK);
    dict.fill(0, 0, D_SIZE);
    // The block's first position only enters the (empty) dictionary: 0 = itself.
    ip += 1 + ((ip - ii) >> 5);
    while (ip < bEnd) {
      const seq = sv.getInt32(ip, true);
      const h = Math.imul(seq, 0x1824429d) >>> (32 - D_BITS);
      const ref = base + dict[h]!;
      dict[h] = ip - base;
      if (sv.getInt32(ref, true) !== seq) {
        ip += 1 + ((ip - ii) >> 5);
        continue;
      }
      // A match of ≥ 4 bytes at distance ip − ref (< 49152). Extend it 4
      // bytes at a time (the first word apart: most matches on page data end
      // in it); the first differing byte of a word comes from the lowest set
      // bit of the XOR (little-endian loads). Bytewise only in the last 3
      // bytes of the input.
      let mEnd = ip + 4;
      let r = ref + 4;
      if (mEnd <= lastWord) {
        const x0 = sv.getInt32(mEnd, true) ^ sv.getInt32(r, true);
        if (x0 !== 0) mEnd += (31 - Math.clz32(x0 & -x0)) >>> 3;
        else {
          mEnd += 4;
          r += 4;
          for (;;) {
            if (mEnd > lastWord) {
              while (mEnd < n && src[mEnd] === src[r]) {
                mEnd++;
                r++;
              }
              break;
            }
            const x = sv.getInt32(mEnd, true) ^ sv.getInt32(r, true);
            if (x !== 0) {
              mEnd += (31 - Math.clz32(x & -x)) >>> 3;
              break;
            }
            mEnd += 4;
            r += 4;
          }
        }
      } else {
        while (mEnd < n && src[mEnd] === src[r]) {
          mEnd++;
          r++;
        }
      }

      // The literals before the match (emitLiterals() inline for the common runs).
      const t = ip - ii;
      if (t !== 0) {
        if (t <= 3 && op !== 0) {
          // Folded into the S bits of the previous match (its second-to-last byte).
          dst[op - 2]! |= t;
          dst[op] = src[ii]!;
          if (t > 1) {
            dst[op + 1] = src[ii + 1]!;
            if (t > 2) dst[op + 2] = src[ii + 2]!;
          }
          op += t;
        } else if (t < SHORT_COPY && op !== 0) {
          // 4..31 literals: 0000LLLL (t ≤ 18) or 0000 0000 + (t − 18), then whole words.
          if (t <= 18) dst[op++] = t - 3;
          else {
            dst[op] = 0;
            dst[op + 1] = t - 18;
            op += 2;
          }
          for (let k = 0; k < t; k += 4) dv.setInt32(op + k, sv.getInt32(ii + k, true), true);
          op += t;
        } else op = emitLiterals(src, ii, t, dst, op);
      }

      // The match (emitMatch() inline): M2 for ≤ 8 bytes within 2 KiB, else M3 / M4.
      const len = mEnd - ip;
      const dist = ip - ref;
      if (len <= M2_MAX_LEN && dist <= M2_MAX_OFFSET) {
        const d = dist - 1;
        dst[op] = ((len - 1) << 5) | ((d & 7) << 2);
        dst[op + 1] = d >>> 3;
        op += 2;
      } else op = emitMatch(dst, op, len, dist);
      ip = mEnd;
      ii = ip;
    }
  }
  op = emitLiterals(src, ii, n - ii, dst, op);
  // End of stream: M4 with distance 16384, length 3.
  dst[op++] = 0x11;
  dst[op++] = 0;
  dst[op++] = 0;
  return op;
}

/** Emit t literals src[from..from+t) with the cheapest legal encoding. */
function emitLiterals(src: Uint8Array, from: number, t: number, dst: Uint8Array, op: number): number {
  if (t === 0) return op;
  if (op === 0 && t <= 238) {
    // First-byte form: 17 + t.
    dst[op++] = 17 + t;
  } else if (t <= 3) {
    // Folded into the S bits of the previous match (its second-to-last byte).
    dst[op - 2]! |= t;
  } else if (t <= 18) {
    dst[op++] = t - 3;
  } else {
    dst[op++] = 0;
    let rest = t - 18;
    while (rest > 255) {
      dst[op++] = 0;
      rest -= 255;
    }
    dst[op++] = rest;
  }
  if (t < SHORT_COPY) {
    for (let i = 0; i < t; i++) dst[op + i] = src[from + i]!;
  } else {
    dst.set(src.subarray(from, from + t), op);
  }
  return op + t;
}

/** Emit a match of len ≥ 3 bytes at distance 1..49151. */
function emitMatch(dst: Uint8Array, op: number, len: number, dist: number): number {
  if (len <= M2_MAX_LEN && dist <= M2_MAX_OFFSET) {
    const d = dist - 1;
    dst[op++] = ((len - 1) << 5) | ((d & 7) << 2);
    dst[op++] = d >>> 3;
    return op;
  }
  let d: number;
  if (dist <= M3_MAX_OFFSET) {
    d = dist - 1;
    if (len <= 33) dst[op++] = 32 | (len - 2);
    else {
      dst[op++] = 32;
      op = emitExtra(dst, op, len - 33);
    }
  } else {
    d = dist - 0x4000;
    const h = (d >>> 11) & 8;
    if (len <= 9) dst[op++] = 16 | h | (len - 2);
    else {
      dst[op++] = 16 | h;
      op = emitExtra(dst, op, len - 9);
    }
  }
  dst[op++] = (d << 2) & 0xff;
  dst[op++] = (d >>> 6) & 0xff;
  return op;
}

/** Extended length: zero bytes worth 255 each, then a non-zero remainder. */
function emitExtra(dst: Uint8Array, op: number, rest: number): number {
  while (rest > 255) {
    dst[op++] = 0;
    rest -= 255;
  }
  dst[op++] = rest;
  return op;
}

function inputOverrun(ip: number, op: number, what: string): CodecError {
  return new CodecError('LZO_INPUT_OVERRUN', `LZO stream ends inside ${what}`, ip, op);
}
function outputOverrun(ip: number, op: number, len: number, cap: number): CodecError {
  return new CodecError(
    'LZO_OUTPUT_OVERRUN',
    `LZO output overrun: ${len} more bytes at output offset ${op}, buffer holds ${cap}`,
    ip,
    op,
  );
}
function lookbehind(at: number, op: number, dist: number): CodecError {
  return new CodecError(
    'LZO_LOOKBEHIND_OVERRUN',
    `LZO match distance ${dist} at output offset ${op} reaches before the start`,
    at,
    op,
  );
}

/**
 * lzo1x_decompress_safe(): decode one LZO1X stream from `src` into `dst`.
 * Returns the number of bytes produced. Never reads outside `src` or
 * writes outside `dst`; throws CodecError (LZO_* codes) on any bad stream.
 * Like liblzo (and Linux for streams without the lzo-rle version byte), the
 * whole of `src` must be consumed by the end marker.
 *
 * Speed (this is the image reader's hot loop): every instruction is checked
 * once up front (input and output room, look-behind), then short copies move
 * whole 32-bit words through DataViews instead of single bytes. A word copy
 * may write up to 3 bytes past the run's end, always inside `dst` (only done
 * when 4 bytes of room remain); later output overwrites them, as
 * lib/lzo/lzo1x_decompress_safe.c does with its COPY4/COPY8 fast paths. So
 * `dst` bytes past the returned length may change. Overlapping matches use
 * word copies only at distance ≥ 4, where every word read is final output.
 */
export function lzo1xDecompressSafe(src: Uint8Array, dst: Uint8Array): number {
  const inEnd = src.length;
  const outEnd = dst.length;
  const sv = new DataView(src.buffer, src.byteOffset, inEnd);
  const dv = new DataView(dst.buffer, dst.byteOffset, outEnd);
  // Word copies may read/write up to 3 bytes past a run's end; these are the
  // last offsets where a 4-byte access still lies inside src / dst.
  const inWord = inEnd - 4;
  const outWord = outEnd - 4;
  let ip = 0;
  let op = 0;
  let state = 0;
  if (inEnd === 0) throw inputOverrun(0, 0, 'the first instruction (empty input)');

  if (src[0]! > 17) {
    const t = src[0]! - 17;
    ip = 1;
    if (op + t > outEnd) throw outputOverrun(ip, op, t, outEnd);
    if (ip + t > inEnd) throw inputOverrun(ip, op, `a literal run of ${t} bytes`);
    for (let i = 0; i < t; i++) dst[op + i] = src[ip + i]!;
    ip += t;
    op += t;
    state = Math.min(t, 4);
  }

  for (;;) {
    if (ip >= inEnd) throw inputOverrun(ip, op, 'the next instruction (no end marker)');
    const at = ip;
    const t = src[ip++]!;
    let len: number;
    let dist: number;
    let next: number;

    if (t >= 64) {
      // M2: 3..8 bytes within 2 KiB.
      if (ip >= inEnd) throw inputOverrun(ip, op, 'an M2 match');
      dist = (src[ip++]! << 3) + ((t >>> 2) & 7) + 1;
      len = (t >>> 5) + 1;
      next = t & 3;
    } else if (t >= 32) {
      // M3: within 16 KiB.
      len = t & 31;
      if (len === 0) {
        len = 31;
        for (;;) {
          if (ip >= inEnd) throw inputOverrun(ip, op, 'an M3 length');
          const b = src[ip++]!;
          if (b !== 0) {
            len += b;
            break;
          }
          len += 255;
        }
      }
      len += 2;
      if (ip + 2 > inEnd) throw inputOverrun(ip, op, 'an M3 distance');
      const w = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      dist = (w >>> 2) + 1;
      next = w & 3;
    } else if (t >= 16) {
      // M4: 16..48 KiB, or the end marker.
      len = t & 7;
      if (len === 0) {
        len = 7;
        for (;;) {
          if (ip >= inEnd) throw inputOverrun(ip, op, 'an M4 length');
          const b = src[ip++]!;
          if (b !== 0) {
            len += b;
            break;
          }
          len += 255;
        }
      }
      len += 2;
      if (ip + 2 > inEnd) throw inputOverrun(ip, op, 'an M4 distance');
      const w = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      dist = 16384 + ((t & 8) << 11) + (w >>> 2);
      next = w & 3;
      if (dist === 16384) {
        // eof_found in lib/lzo/lzo1x_decompress_safe.c: the marker must have length 3.
        if (len !== 3)
          throw new CodecError('LZO_ERROR', `LZO end marker with length ${len} (must be 3)`, at, op);
        if (ip < inEnd) {
          throw new CodecError(
            'LZO_INPUT_NOT_CONSUMED',
            `LZO end marker at input offset ${at} but ${inEnd - ip} more input bytes follow`,
            ip,
            op,
          );
        }
        return op;
      }
    } else if (state === 0) {
      // Literal run of ≥ 4 bytes.
      if (t === 0) {
        len = 18;
        for (;;) {
          if (ip >= inEnd) throw inputOverrun(ip, op, 'a literal run length');
          const b = src[ip++]!;
          if (b !== 0) {
            len += b;
            break;
          }
          len += 255;
        }
      } else len = t + 3;
      if (op + len > outEnd) throw outputOverrun(ip, op, len, outEnd);
      if (ip + len > inEnd) throw inputOverrun(ip, op, `a literal run of ${len} bytes`);
      if (len >= SHORT_COPY) {
        dst.set(src.subarray(ip, ip + len), op);
      } else if (ip + len <= inWord && op + len <= outWord) {
        // 4..31 bytes: whole words, the last one spilling ≤ 3 bytes that later output overwrites.
        for (let i = 0; i < len; i += 4) dv.setUint32(op + i, sv.getUint32(ip + i, true), true);
      } else {
        for (let i = 0; i < len; i++) dst[op + i] = src[ip + i]!;
      }
      ip += len;
      op += len;
      state = 4;
      continue;
    } else {
      // M1: 2 bytes within 1 KiB after 1..3 literals, 3 bytes at 2..3 KiB after a literal run.
      if (ip >= inEnd) throw inputOverrun(ip, op, 'an M1 match');
      const h = src[ip++]!;
      if (state === 4) {
        len = 3;
        dist = (h << 2) + ((t >>> 2) & 3) + 2049;
      } else {
        len = 2;
        dist = (h << 2) + ((t >>> 2) & 3) + 1;
      }
      next = t & 3;
    }

    // Copy the match.
    if (dist > op) throw lookbehind(at, op, dist);
    if (op + len > outEnd) throw outputOverrun(at, op, len, outEnd);
    const from = op - dist;
    if (len < SHORT_COPY) {
      if (dist >= 4 && op + len <= outWord) {
        // Every word read lies ≥ 4 bytes behind the write, so it is final output.
        for (let i = 0; i < len; i += 4) dv.setUint32(op + i, dv.getUint32(from + i, true), true);
      } else {
        for (let i = 0; i < len; i++) dst[op + i] = dst[from + i]!;
      }
    } else if (dist >= len) {
      dst.copyWithin(op, from, from + len);
    } else if (dist === 1) {
      dst.fill(dst[from]!, op, op + len);
    } else {
      // Overlapping copy: the source is periodic with period dist, so copy in
      // growing multiples of dist.
      let done = 0;
      while (done < len) {
        const c = Math.min(dist + done, len - done);
        dst.copyWithin(op + done, from, from + c);
        done += c;
      }
    }
    op += len;

    // 0..3 literals that follow a match (one word when there is room).
    state = next;
    if (next !== 0) {
      if (op + next > outEnd) throw outputOverrun(ip, op, next, outEnd);
      if (ip + next > inEnd) throw inputOverrun(ip, op, `${next} trailing literals`);
      if (ip <= inWord && op <= outWord) {
        dv.setUint32(op, sv.getUint32(ip, true), true);
      } else {
        dst[op] = src[ip]!;
        if (next > 1) {
          dst[op + 1] = src[ip + 1]!;
          if (next > 2) dst[op + 2] = src[ip + 2]!;
        }
      }
      ip += next;
      op += next;
    }
  }
}
