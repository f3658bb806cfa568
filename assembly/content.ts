/**
 * Generated page contents and the page digest in AssemblyScript: the same
 * computations as generatePage() / pageSeed() / pageDigest() of
 * src/workload/content.ts (the reference; see it for what each kind models),
 * word for word, so a page comes out with the same bytes and digest. The
 * compression workers run these on the chunk they compress, in the module's
 * own memory (src/power/compress/wasm-pages.ts). The hogmem PATTERN kind and
 * unknown kinds are left to the TS code (generate() returns -1).
 */

const PAGE: usize = 4096;
const CALIBRATED: u32 = 16;
const CALIBRATED_LEVELS: u32 = 64;
/** Length of the text corpus the caller copies in (textCorpus() of content.ts). */
const CORPUS: u32 = 65536;

/** pageSeed(seed, pfn, 0) for a pfn below 2^32 (the descriptors carry 32-bit pfns). */
@inline
function pageSeed(seed: u32, pfn: u32): u32 {
  let h = seed ^ (pfn * 0x9e3779b1);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h != 0 ? h : 0x6d2b79f5;
}

@inline
function xorshift(x: u32): u32 {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

/*
 * xorshift32 is linear over GF(2): k steps are a fixed 32×32 bit matrix M^k,
 * applied to a word as four byte-indexed table lookups (the tables hold M^k of
 * every byte value in each byte position). A page's chain of 1024 (RANDOM) or
 * 256 (POINTER/KERNEL) steps is then run as four independent chains started at
 * 0, ¼, ½ and ¾ of the way (the start words jumped to with the tables), which
 * the CPU executes side by side instead of one dependent step after another.
 * Every word is the same as the single chain's.
 */
const JUMP_TABLE: usize = 4 * 256 * 4;
/** M^256, M^512, M^768 (RANDOM's quarter pages), then M^64, M^128, M^192 (the records' quarters). */
const JUMPS: usize = memory.data(<i32>(6 * JUMP_TABLE), 16);
let jumpsMade = false;

/** The table of M^steps at t: t[b·256 + v] = M^steps (v << 8b). */
function makeJump(t: usize, steps: u32): void {
  for (let b: u32 = 0; b < 4; b++) {
    const row = t + (<usize>b << 10);
    store<u32>(row, 0);
    for (let v: u32 = 1; v < 256; v++) {
      // M^steps of the lowest set bit, xor the entry without that bit (linearity).
      let x: u32 = 1 << (8 * b + ctz(v));
      for (let i: u32 = 0; i < steps; i++) x = xorshift(x);
      store<u32>(row + (<usize>v << 2), x ^ load<u32>(row + (<usize>(v & (v - 1)) << 2)));
    }
  }
}

function makeJumps(): void {
  makeJump(JUMPS, 256);
  makeJump(JUMPS + JUMP_TABLE, 512);
  makeJump(JUMPS + 2 * JUMP_TABLE, 768);
  makeJump(JUMPS + 3 * JUMP_TABLE, 64);
  makeJump(JUMPS + 4 * JUMP_TABLE, 128);
  makeJump(JUMPS + 5 * JUMP_TABLE, 192);
  jumpsMade = true;
}

/** M^k x with the table of M^k at t. */
@inline
function jump(t: usize, x: u32): u32 {
  return (
    load<u32>(t + (<usize>(x & 0xff) << 2)) ^
    load<u32>(t + 1024 + (<usize>((x >> 8) & 0xff) << 2)) ^
    load<u32>(t + 2048 + (<usize>((x >> 16) & 0xff) << 2)) ^
    load<u32>(t + 3072 + (<usize>(x >> 24) << 2))
  );
}

/** One POINTER/KERNEL record at p from chain word x. */
@inline
function record(p: usize, x: u32, base: u32, hiWord: u32): void {
  store<u32>(p, base + (x & 0xffff0));
  store<u32>(p, hiWord, 4);
  store<u32>(p, x >> 24, 8);
  store<u32>(p, (x & 7) == 0 ? x : 0, 12);
}

/**
 * Write the page of `kind` for (seed, pfn) at `dst`; `corpus` is where the
 * caller put the 64 KiB text corpus. Returns 1 (data), 0 (a zero page),
 * -1 (a kind this port does not make: the caller uses the TS generator).
 */
export function generate(kind: u32, seed: u32, pfn: u32, dst: usize, corpus: usize): i32 {
  if (kind == 1 || kind == 0) {
    memory.fill(dst, 0, PAGE);
    return 0;
  }
  let x = pageSeed(seed, pfn);
  if (kind >= CALIBRATED && kind <= CALIBRATED + CALIBRATED_LEVELS) {
    // 64 blocks of 16 words; exactly L of them random, the others pointer records.
    let left = kind - CALIBRATED;
    for (let b: u32 = 0; b < 64; b++) {
      x = xorshift(x);
      const o = dst + (<usize>b << 6);
      if (x % (64 - b) < left) {
        left--;
        for (let i: usize = 0; i < 64; i += 4) {
          x = xorshift(x);
          store<u32>(o + i, x);
        }
      } else {
        for (let i: u32 = 0; i < 16; i += 4) {
          const p = o + (<usize>i << 2);
          store<u32>(p, 0x40000000 + (b << 6) + i);
          store<u32>(p, 0xffff8880, 4);
          store<u32>(p, b, 8);
          store<u32>(p, 0, 12);
        }
      }
    }
    store<u32>(dst, pfn);
    return 1;
  }
  if (!jumpsMade) makeJumps();
  if (kind == 4) {
    // RANDOM: word i is xorshift^(i+1)(x); four chains of 256 words.
    let x1 = jump(JUMPS, x);
    let x2 = jump(JUMPS + JUMP_TABLE, x);
    let x3 = jump(JUMPS + 2 * JUMP_TABLE, x);
    for (let i: usize = 0; i < PAGE / 4; i += 4) {
      x = xorshift(x);
      x1 = xorshift(x1);
      x2 = xorshift(x2);
      x3 = xorshift(x3);
      store<u32>(dst + i, x);
      store<u32>(dst + i, x1, PAGE / 4);
      store<u32>(dst + i, x2, PAGE / 2);
      store<u32>(dst + i, x3, (3 * PAGE) / 4);
    }
    return 1;
  }
  if (kind == 2) {
    // TEXT: eight 512-byte runs of the corpus at seeded offsets.
    for (let r: usize = 0; r < 8; r++) {
      x = xorshift(x);
      memory.copy(dst + (r << 9), corpus + <usize>(x % (CORPUS - 512)), 512);
    }
    return 1;
  }
  if (kind == 3 || kind == 5) {
    // POINTER / KERNEL: 16-byte records of a pointer, a high word, a small int, a rare flags word.
    // Record r from xorshift^(r+1)(x); four chains of 64 records.
    const hiWord: u32 = kind == 5 ? 0xffffffff : 0xffff8880;
    const base: u32 = kind == 5 ? 0x81000000 : (x & 0x3ff) << 20;
    let x1 = jump(JUMPS + 3 * JUMP_TABLE, x);
    let x2 = jump(JUMPS + 4 * JUMP_TABLE, x);
    let x3 = jump(JUMPS + 5 * JUMP_TABLE, x);
    for (let p = dst; p < dst + PAGE / 4; p += 16) {
      x = xorshift(x);
      x1 = xorshift(x1);
      x2 = xorshift(x2);
      x3 = xorshift(x3);
      record(p, x, base, hiWord);
      record(p + PAGE / 4, x1, base, hiWord);
      record(p + PAGE / 2, x2, base, hiWord);
      record(p + (3 * PAGE) / 4, x3, base, hiWord);
    }
    store<u32>(dst, pfn);
    return 1;
  }
  return -1;
}

/** pageDigest() of the page at `p`. */
export function digest(p: usize): u32 {
  let a: u32 = 0x811c9dc5;
  let b: u32 = 0x050c5d1f;
  let c: u32 = 0x1b873593;
  let d: u32 = 0x6b43a9b5;
  const end = p + PAGE;
  for (; p < end; p += 16) {
    a = (a ^ load<u32>(p)) * 0x01000193;
    b = (b ^ load<u32>(p, 4)) * 0x01000193;
    c = (c ^ load<u32>(p, 8)) * 0x01000193;
    d = (d ^ load<u32>(p, 12)) * 0x01000193;
  }
  let h = (a * 0x85ebca6b) ^ b;
  h = ((h ^ (h >> 13)) * 0xc2b2ae35) ^ c;
  h = ((h ^ (h >> 16)) * 0x01000193) ^ d;
  h = (h ^ (h >> 15)) * 0x85ebca6b;
  return h ^ (h >> 13);
}

/** pageDigest() of `pages` consecutive pages at `p` into u32s at `out`. */
export function digestPages(p: usize, pages: u32, out: usize): void {
  for (let k: u32 = 0; k < pages; k++) store<u32>(out + (<usize>k << 2), digest(p + (<usize>k << 12)));
}

/** True when the pages at `a` and `b` hold the same 4096 bytes. */
export function samePage(a: usize, b: usize): bool {
  for (let i: usize = 0; i < PAGE; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  return true;
}
