/**
 * LZO1X decompression in AssemblyScript: the checks and the output of
 * lzo1xDecompressSafe() in src/lib/lzo1x.ts (the reference, after
 * lib/lzo/lzo1x_decompress_safe.c; see its header for the stream format),
 * without the error detail: any stream the reference rejects returns −1 here
 * (the caller then runs the reference, which throws the error with its
 * offsets), and any stream it accepts decodes to the same bytes.
 *
 * Instructions (the first byte may be a literal run of byte − 17 bytes):
 *   0..15   literal run of t + 3 bytes (t = 0: 18 + extended length),
 *           or after a literal/match with state 1..3 / 4: an M1 match
 *   16..31  M4: distance 16 KiB.., length 2 + (t & 7 | extended); 16384 is the end marker
 *   32..63  M3: distance ≤ 16 KiB, length 2 + (t & 31 | extended)
 *   64..255 M2: distance ≤ 2 KiB, length 3..8
 * Each match is followed by 0..3 literals (the low two bits of its last byte).
 *
 * Memory: n compressed bytes at src, room for cap bytes at dst (absolute
 * addresses laid out by the caller, src/lib/wasm/instance.ts). Every read
 * stays inside [src, src + n) and every write inside [dst, dst + cap); bytes
 * of that room past the returned length may be overwritten (word copies).
 */

/** The input position extLen() advances (a global: the module never allocates). */
let gIp: usize = 0;

/** Extended length: zero bytes worth 255 each, then a non-zero byte, from gIp; −1 when the input ends first. */
@inline
function extLen(base: u32, inEnd: usize): i64 {
  let ip = gIp;
  let len: u64 = base;
  for (;;) {
    if (ip >= inEnd) return -1;
    const b = <u32>load<u8>(ip++);
    if (b != 0) {
      len += b;
      break;
    }
    len += 255;
  }
  gIp = ip;
  return <i64>len;
}

/**
 * Forward byte copy (overlapping matches repeat their period, as the kernel's
 * copy does). With a distance of 8 or more and room for the rounding in the
 * output (`outEnd`), whole u64 words, like the kernel's COPY8 path: each word
 * read lies below the word being written, so it already holds its final
 * bytes; the up to 7 bytes past the match are written again by what follows
 * (or lie past the output's end, inside its room).
 */
@inline
function copyMatch(op: usize, from: usize, len: usize, outEnd: usize): void {
  if (op - from >= 8 && op + len + 8 <= outEnd) {
    for (let i: usize = 0; i < len; i += 8) store<u64>(op + i, load<u64>(from + i));
    return;
  }
  if (from + len <= op) {
    memory.copy(op, from, len);
    return;
  }
  if (op - from == 1) {
    memory.fill(op, load<u8>(from), len);
    return;
  }
  for (let i: usize = 0; i < len; i++) store<u8>(op + i, load<u8>(from + i));
}

/**
 * A literal run (input and output never overlap): whole u64 words when both
 * the input and the output have room for the rounding, else memory.copy.
 */
@inline
function copyLiterals(op: usize, ip: usize, len: usize, outEnd: usize, inEnd: usize): void {
  if (op + len + 8 <= outEnd && ip + len + 8 <= inEnd) {
    for (let i: usize = 0; i < len; i += 8) store<u64>(op + i, load<u64>(ip + i));
    return;
  }
  memory.copy(op, ip, len);
}

/**
 * Decompress n bytes at src into dst (cap bytes of room). Returns the output
 * length, or −1 where lzo1xDecompressSafe() would throw.
 */
export function decompress(src: usize, n: u32, dst: usize, cap: u32): i32 {
  const inEnd = src + <usize>n;
  const outEnd = dst + <usize>cap;
  let ip = src;
  let op = dst;
  let state: u32 = 0;
  if (n == 0) return -1;
  const first = <u32>load<u8>(ip);
  if (first > 17) {
    const t = <usize>(first - 17);
    ip++;
    if (op + t > outEnd) return -1;
    if (ip + t > inEnd) return -1;
    memory.copy(op, ip, t);
    ip += t;
    op += t;
    state = t < 4 ? <u32>t : 4;
  }
  for (;;) {
    if (ip >= inEnd) return -1;
    const t = <u32>load<u8>(ip++);
    let len: u64;
    let dist: usize;
    let next: u32;
    if (t >= 64) {
      if (ip >= inEnd) return -1;
      dist = ((<usize>load<u8>(ip++)) << 3) + <usize>((t >> 2) & 7) + 1;
      len = <u64>((t >> 5) + 1);
      next = t & 3;
    } else if (t >= 32) {
      len = <u64>(t & 31);
      if (len == 0) {
        gIp = ip;
        const l = extLen(31, inEnd);
        if (l < 0) return -1;
        ip = gIp;
        len = <u64>l;
      }
      len += 2;
      if (ip + 2 > inEnd) return -1;
      const w = <u32>load<u8>(ip) | ((<u32>load<u8>(ip + 1)) << 8);
      ip += 2;
      dist = <usize>(w >> 2) + 1;
      next = w & 3;
    } else if (t >= 16) {
      len = <u64>(t & 7);
      if (len == 0) {
        gIp = ip;
        const l = extLen(7, inEnd);
        if (l < 0) return -1;
        ip = gIp;
        len = <u64>l;
      }
      len += 2;
      if (ip + 2 > inEnd) return -1;
      const w = <u32>load<u8>(ip) | ((<u32>load<u8>(ip + 1)) << 8);
      ip += 2;
      dist = 16384 + <usize>((t & 8) << 11) + <usize>(w >> 2);
      next = w & 3;
      if (dist == 16384) {
        // The end marker: length 3, and nothing after it.
        if (len != 3) return -1;
        if (ip < inEnd) return -1;
        return <i32>(op - dst);
      }
    } else if (state == 0) {
      // Literal run of ≥ 4 bytes.
      if (t == 0) {
        gIp = ip;
        const l = extLen(18, inEnd);
        if (l < 0) return -1;
        ip = gIp;
        len = <u64>l;
      } else len = <u64>(t + 3);
      if (<u64>(op - dst) + len > <u64>cap) return -1;
      if (<u64>(ip - src) + len > <u64>n) return -1;
      copyLiterals(op, ip, <usize>len, outEnd, inEnd);
      ip += <usize>len;
      op += <usize>len;
      state = 4;
      continue;
    } else {
      // M1: 2 bytes within 1 KiB after 1..3 literals, 3 bytes at 2..3 KiB after a literal run.
      if (ip >= inEnd) return -1;
      const h = <usize>load<u8>(ip++);
      if (state == 4) {
        len = 3;
        dist = (h << 2) + <usize>((t >> 2) & 3) + 2049;
      } else {
        len = 2;
        dist = (h << 2) + <usize>((t >> 2) & 3) + 1;
      }
      next = t & 3;
    }
    // The match.
    if (dist > op - dst) return -1;
    if (<u64>(op - dst) + len > <u64>cap) return -1;
    copyMatch(op, op - dist, <usize>len, outEnd);
    op += <usize>len;
    // 0..3 literals after it.
    state = next;
    if (next != 0) {
      if (op + <usize>next > outEnd) return -1;
      if (ip + <usize>next > inEnd) return -1;
      // One u32 when both sides have room (the bytes past `next` are written again later).
      if (op + 4 <= outEnd && ip + 4 <= inEnd) store<u32>(op, load<u32>(ip));
      else {
        store<u8>(op, load<u8>(ip));
        if (next > 1) {
          store<u8>(op + 1, load<u8>(ip + 1));
          if (next > 2) store<u8>(op + 2, load<u8>(ip + 2));
        }
      }
      ip += <usize>next;
      op += <usize>next;
    }
  }
  return -1; // not reached: the loop returns
}
