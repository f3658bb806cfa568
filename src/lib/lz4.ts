/**
 * LZ4 raw block format (no frame, no size prefix) — what the 6.9+ kernel's
 * crypto "lz4" alg (LZ4_compress_default / LZ4_decompress_safe) puts in a
 * hibernation chunk. Written clean-room from the public LZ4 block format
 * description.
 *
 * Block layout: a sequence of
 *
 *   token      1 byte: high nibble = literal length L, low nibble = match length M − 4
 *   [L ext]    if L = 15: bytes added to L while each is 255, the first < 255 ends it
 *   literals   L bytes
 *   offset     u16 LE, 1..65535 (distance back from the current output position)
 *   [M ext]    if M − 4 = 15: same 255-continuation scheme
 *
 * The last sequence stops after its literals (no offset). End rules: the
 * last 5 bytes are literals (LASTLITERALS) and the last match starts at
 * least 12 bytes before the end (MFLIMIT), so inputs < 13 bytes are one
 * literal run. An empty input is the single token 0x00.
 *
 * The compressor is a greedy single-probe hash matcher (4-byte hash, 4096
 * slots of absolute positions, skip step growing with the literal run,
 * backward match extension); its bytes need not equal liblz4's.
 */
import { CodecError } from './codec-errors.js';

const MINMATCH = 4;
const LASTLITERALS = 5;
const MFLIMIT = 12;
const MAX_DISTANCE = 65535;
/** LZ4_MEMORY_USAGE 14 → 4096 hash slots (as in the kernel's lz4 build). */
const HASH_LOG = 12;
const HASH_SIZE = 1 << HASH_LOG;
const SHORT_COPY = 32;

/** LZ4_COMPRESSBOUND(n) = n + n/255 + 16. */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

/** Hash-table entries lz4Compress wants in `table`. */
export const LZ4_HASH_ENTRIES = HASH_SIZE;

let sharedTable: Int32Array | undefined;

/**
 * Compress `src` to one raw LZ4 block in `dst` (≥ lz4CompressBound(n) bytes).
 * `table` is an optional ≥ 4096-entry hash table to reuse. Returns the size.
 */
export function lz4Compress(src: Uint8Array, dst: Uint8Array, table?: Int32Array | Uint32Array): number {
  const n = src.length;
  if (dst.length < lz4CompressBound(n)) {
    throw new CodecError(
      'LZ4_DST_TOO_SMALL',
      `LZ4 compress: destination holds ${dst.length} bytes, LZ4_COMPRESSBOUND(${n}) needs ${lz4CompressBound(n)}`,
      0,
    );
  }
  let tab: Int32Array | Uint32Array;
  if (table && table.length >= HASH_SIZE) tab = table;
  else {
    sharedTable ??= new Int32Array(HASH_SIZE);
    tab = sharedTable;
  }
  // Slots hold position + 1 so that 0 means empty.
  tab.fill(0, 0, HASH_SIZE);

  let op = 0;
  let anchor = 0;
  if (n >= MFLIMIT + 1) {
    const mflimit = n - MFLIMIT; // last position a match may start
    const matchLimit = n - LASTLITERALS; // matches end at or before this
    let ip = 1;
    tab[hash(src, 0)] = 1;
    while (ip <= mflimit) {
      const seq = src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24);
      const h = Math.imul(seq, -1640531535) >>> (32 - HASH_LOG);
      let ref = tab[h]! - 1;
      tab[h] = ip + 1;
      if (
        ref < 0 ||
        ip - ref > MAX_DISTANCE ||
        (src[ref]! | (src[ref + 1]! << 8) | (src[ref + 2]! << 16) | (src[ref + 3]! << 24)) !== seq
      ) {
        ip += 1 + ((ip - anchor) >> 6);
        continue;
      }
      // Extend backwards over pending literals, then forwards.
      let start = ip;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
      }
      let mEnd = ip + MINMATCH;
      let r = ref + (mEnd - start);
      while (mEnd < matchLimit && src[mEnd] === src[r]) {
        mEnd++;
        r++;
      }
      op = emitSequence(src, anchor, start - anchor, dst, op, start - ref, mEnd - start);
      ip = mEnd;
      anchor = ip;
      // Seed the table just before the new position (helps runs and repeats).
      if (ip - 2 <= mflimit) tab[hash(src, ip - 2)] = ip - 1;
    }
  }
  // Last literals.
  const lit = n - anchor;
  op = emitLength(dst, op, lit, 0);
  copy(src, anchor, dst, op, lit);
  return op + lit;
}

function hash(src: Uint8Array, p: number): number {
  const seq = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
  return Math.imul(seq, -1640531535) >>> (32 - HASH_LOG);
}

function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, len: number): void {
  if (len < SHORT_COPY) for (let i = 0; i < len; i++) dst[to + i] = src[from + i]!;
  else dst.set(src.subarray(from, from + len), to);
}

/** Token (with literal length lit and, unless last, match code) + literal length extension. */
function emitLength(dst: Uint8Array, op: number, lit: number, matchCode: number): number {
  const tokenPos = op++;
  let token = matchCode;
  if (lit >= 15) {
    token |= 0xf0;
    let rest = lit - 15;
    while (rest >= 255) {
      dst[op++] = 255;
      rest -= 255;
    }
    dst[op++] = rest;
  } else token |= lit << 4;
  dst[tokenPos] = token;
  return op;
}

function emitSequence(
  src: Uint8Array,
  from: number,
  lit: number,
  dst: Uint8Array,
  op: number,
  offset: number,
  mlen: number,
): number {
  const m = mlen - MINMATCH;
  op = emitLength(dst, op, lit, Math.min(m, 15));
  copy(src, from, dst, op, lit);
  op += lit;
  dst[op++] = offset & 0xff;
  dst[op++] = offset >>> 8;
  if (m >= 15) {
    let rest = m - 15;
    while (rest >= 255) {
      dst[op++] = 255;
      rest -= 255;
    }
    dst[op++] = rest;
  }
  return op;
}

function lz4Error(
  code: 'LZ4_INPUT_OVERRUN' | 'LZ4_OUTPUT_OVERRUN' | 'LZ4_LOOKBEHIND_OVERRUN' | 'LZ4_MALFORMED',
  msg: string,
  ip: number,
  op: number,
): CodecError {
  return new CodecError(code, `LZ4 block: ${msg}`, ip, op);
}

/**
 * LZ4_decompress_safe(): decode one raw block from `src` into `dst`; returns
 * the decoded size. Bounds-checked on every step; throws CodecError (LZ4_*)
 * for truncated or corrupt blocks. Like LZ4_decompress_safe it also refuses
 * matches that end within the last 5 bytes of `dst` and literal runs that end
 * within the last 12 bytes of `dst` without ending the block: legal blocks
 * never do that for any dst that can hold them.
 */
export function lz4DecompressSafe(src: Uint8Array, dst: Uint8Array): number {
  const inEnd = src.length;
  const outEnd = dst.length;
  let ip = 0;
  let op = 0;
  if (inEnd === 0) throw lz4Error('LZ4_MALFORMED', 'empty input (an empty block is the token 0x00)', 0, 0);
  for (;;) {
    if (ip >= inEnd) throw lz4Error('LZ4_INPUT_OVERRUN', 'block ends where a token was expected', ip, op);
    const tokenAt = ip;
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      for (;;) {
        if (ip >= inEnd) throw lz4Error('LZ4_INPUT_OVERRUN', 'block ends inside a literal length', ip, op);
        const b = src[ip++]!;
        lit += b;
        if (b !== 255) break;
      }
    }
    if (lit > 0) {
      if (ip + lit > inEnd)
        throw lz4Error('LZ4_INPUT_OVERRUN', `literal run of ${lit} bytes is cut off`, ip, op);
      if (op + lit > outEnd) {
        throw lz4Error(
          'LZ4_OUTPUT_OVERRUN',
          `${lit} literals at output offset ${op} exceed ${outEnd}`,
          ip,
          op,
        );
      }
      if (lit < SHORT_COPY) for (let i = 0; i < lit; i++) dst[op + i] = src[ip + i]!;
      else dst.set(src.subarray(ip, ip + lit), op);
      ip += lit;
      op += lit;
    }
    if (ip === inEnd) return op; // the last sequence has no match part
    if (op > outEnd - MFLIMIT) {
      throw lz4Error(
        'LZ4_MALFORMED',
        `a match follows output offset ${op}, within the last 12 bytes`,
        ip,
        op,
      );
    }
    if (ip + 2 > inEnd) throw lz4Error('LZ4_INPUT_OVERRUN', 'block ends inside a match offset', ip, op);
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op) {
      throw lz4Error(
        'LZ4_LOOKBEHIND_OVERRUN',
        `match offset ${offset} at output offset ${op} is out of range`,
        tokenAt,
        op,
      );
    }
    let len = token & 15;
    if (len === 15) {
      for (;;) {
        if (ip >= inEnd) throw lz4Error('LZ4_INPUT_OVERRUN', 'block ends inside a match length', ip, op);
        const b = src[ip++]!;
        len += b;
        if (b !== 255) break;
      }
    }
    len += MINMATCH;
    if (op + len > outEnd) {
      throw lz4Error(
        'LZ4_OUTPUT_OVERRUN',
        `match of ${len} bytes at output offset ${op} exceeds ${outEnd}`,
        tokenAt,
        op,
      );
    }
    if (op + len > outEnd - LASTLITERALS) {
      throw lz4Error(
        'LZ4_MALFORMED',
        `match of ${len} bytes at output offset ${op} runs into the last 5 bytes of a ${outEnd}-byte buffer`,
        tokenAt,
        op,
      );
    }
    const from = op - offset;
    if (len < SHORT_COPY) {
      for (let i = 0; i < len; i++) dst[op + i] = dst[from + i]!;
    } else if (offset >= len) {
      dst.copyWithin(op, from, from + len);
    } else if (offset === 1) {
      dst.fill(dst[from]!, op, op + len);
    } else {
      let done = 0;
      while (done < len) {
        const c = Math.min(offset + done, len - done);
        dst.copyWithin(op + done, from, from + c);
        done += c;
      }
    }
    op += len;
  }
}
