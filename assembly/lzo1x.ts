/**
 * LZO1X-1 compressor in AssemblyScript: the same algorithm, step for step,
 * as lzo1xCompress() in src/lib/lzo1x.ts (the reference; see its header for
 * the stream format and the kernel functions it follows), so every input
 * compresses to the same bytes. Compiled to WebAssembly by
 * `npm run build:wasm` (assembly/index.ts is the module's entry).
 *
 * Memory (laid out by the caller, src/lib/wasm/instance.ts):
 *   dict  8192 × u16   block offsets of lzo1x_1's dictionary (D_BITS = 13)
 *   src   n bytes      the input
 *   dst   ≥ lzo1x_worst_compress(n) + 4 bytes (word stores may spill 3 bytes)
 *
 * Pointers are absolute addresses into that memory; `op == dst` is the JS
 * version's `op === 0` (nothing emitted yet: the first-byte literal form).
 */

const D_BITS: u32 = 13;
const D_SIZE: u32 = 1 << D_BITS;
/** lzo1x_1_compress() takes input in blocks of M4_MAX_OFFSET + 1 bytes. */
const BLOCK: usize = 0xbfff + 1;
const M2_MAX_LEN: u32 = 8;
const M2_MAX_OFFSET: u32 = 0x0800;
const M3_MAX_OFFSET: u32 = 0x4000;
const SHORT_COPY: u32 = 32;

/** Extended length: zero bytes worth 255 each, then a non-zero remainder. */
@inline
function emitExtra(op: usize, rest: u32): usize {
  while (rest > 255) {
    store<u8>(op++, 0);
    rest -= 255;
  }
  store<u8>(op++, <u8>rest);
  return op;
}

/** A match of len ≥ 3 bytes at distance 1..49151 (emitMatch() of lzo1x.ts). */
function emitMatch(op: usize, len: u32, dist: u32): usize {
  if (len <= M2_MAX_LEN && dist <= M2_MAX_OFFSET) {
    const d = dist - 1;
    store<u8>(op, <u8>(((len - 1) << 5) | ((d & 7) << 2)));
    store<u8>(op + 1, <u8>(d >> 3));
    return op + 2;
  }
  let d: u32;
  if (dist <= M3_MAX_OFFSET) {
    d = dist - 1;
    if (len <= 33) store<u8>(op++, <u8>(32 | (len - 2)));
    else {
      store<u8>(op++, 32);
      op = emitExtra(op, len - 33);
    }
  } else {
    d = dist - 0x4000;
    const h = (d >> 11) & 8;
    if (len <= 9) store<u8>(op++, <u8>(16 | h | (len - 2)));
    else {
      store<u8>(op++, <u8>(16 | h));
      op = emitExtra(op, len - 9);
    }
  }
  store<u8>(op, <u8>(d << 2));
  store<u8>(op + 1, <u8>(d >> 6));
  return op + 2;
}

/** t literals from `from` with the cheapest legal encoding (emitLiterals() of lzo1x.ts). */
function emitLiterals(from: usize, t: u32, op: usize, dst: usize): usize {
  if (t == 0) return op;
  if (op == dst && t <= 238) {
    // First-byte form: 17 + t.
    store<u8>(op++, <u8>(17 + t));
  } else if (t <= 3) {
    // Folded into the S bits of the previous match (its second-to-last byte).
    store<u8>(op - 2, load<u8>(op - 2) | <u8>t);
  } else if (t <= 18) {
    store<u8>(op++, <u8>(t - 3));
  } else {
    store<u8>(op++, 0);
    op = emitExtra(op, t - 18);
  }
  if (t < SHORT_COPY) {
    for (let i: usize = 0; i < t; i++) store<u8>(op + i, load<u8>(from + i));
  } else {
    memory.copy(op, from, t);
  }
  return op + t;
}

/**
 * Compress n bytes at `src` into `dst`, using `dict` (16 KiB) as the
 * dictionary. Returns the stream length, end marker included.
 */
export function compress(dict: usize, src: usize, n: u32, dst: usize): u32 {
  let op = dst;
  let ii = src; // first literal not yet emitted
  let ip = src;
  const end = src + n;
  if (n > 20) {
    // The last 20 bytes go to the literal tail (lzo1x_1_compress's margin).
    const limit = end - 20;
    const lastWord = end - 4;
    while (ip < limit) {
      const base = ip;
      let bEnd = base + BLOCK;
      if (bEnd > limit) bEnd = limit;
      memory.fill(dict, 0, D_SIZE << 1);
      // The block's first position only enters the (empty) dictionary: 0 = itself.
      ip += 1 + ((ip - ii) >> 5);
      while (ip < bEnd) {
        const seq = load<u32>(ip);
        const slot = dict + (((seq * 0x1824429d) >> (32 - D_BITS)) << 1);
        const ref = base + <usize>load<u16>(slot);
        store<u16>(slot, <u16>(ip - base));
        if (load<u32>(ref) != seq) {
          ip += 1 + ((ip - ii) >> 5);
          continue;
        }
        // A match of ≥ 4 bytes; extend it a word at a time, bytewise in the last 3 bytes.
        let mEnd = ip + 4;
        let r = ref + 4;
        if (mEnd <= lastWord) {
          const x0 = load<u32>(mEnd) ^ load<u32>(r);
          if (x0 != 0) mEnd += ctz(x0) >> 3;
          else {
            mEnd += 4;
            r += 4;
            while (true) {
              if (mEnd > lastWord) {
                while (mEnd < end && load<u8>(mEnd) == load<u8>(r)) {
                  mEnd++;
                  r++;
                }
                break;
              }
              const x = load<u32>(mEnd) ^ load<u32>(r);
              if (x != 0) {
                mEnd += ctz(x) >> 3;
                break;
              }
              mEnd += 4;
              r += 4;
            }
          }
        } else {
          while (mEnd < end && load<u8>(mEnd) == load<u8>(r)) {
            mEnd++;
            r++;
          }
        }

        // The literals before the match. Word stores may write up to 3
        // bytes past the run: the match after it overwrites them.
        const t = <u32>(ip - ii);
        if (t != 0) {
          if (t <= 3 && op != dst) {
            store<u8>(op - 2, load<u8>(op - 2) | <u8>t);
            store<u32>(op, load<u32>(ii));
            op += t;
          } else if (t < SHORT_COPY && op != dst) {
            if (t <= 18) store<u8>(op++, <u8>(t - 3));
            else {
              store<u8>(op, 0);
              store<u8>(op + 1, <u8>(t - 18));
              op += 2;
            }
            for (let k: usize = 0; k < t; k += 4) store<u32>(op + k, load<u32>(ii + k));
            op += t;
          } else op = emitLiterals(ii, t, op, dst);
        }

        // The match: M2 for ≤ 8 bytes within 2 KiB, else M3 / M4.
        const len = <u32>(mEnd - ip);
        const dist = <u32>(ip - ref);
        if (len <= M2_MAX_LEN && dist <= M2_MAX_OFFSET) {
          const d = dist - 1;
          store<u8>(op, <u8>(((len - 1) << 5) | ((d & 7) << 2)));
          store<u8>(op + 1, <u8>(d >> 3));
          op += 2;
        } else op = emitMatch(op, len, dist);
        ip = mEnd;
        ii = ip;
      }
    }
  }
  op = emitLiterals(ii, <u32>(end - ii), op, dst);
  // End of stream: M4 with distance 16384, length 3.
  store<u8>(op, 0x11);
  store<u8>(op + 1, 0);
  store<u8>(op + 2, 0);
  return <u32>(op + 3 - dst);
}
