/**
 * Page contents generated on demand.
 *
 * A workload page's 4096 bytes are a pure function of a small descriptor:
 * (content kind, scenario seed, source pfn, generation). The model keeps only
 * the descriptor per frame (see ./descriptors.ts) and produces the bytes when
 * something reads them — the image writer, a verify, the inspector's `rd`.
 * That is how a 16 GiB model fits in far less host memory, and why verifying
 * a restored page needs no saved copy: regenerate and compare.
 *
 * Kinds are chosen to give the compressors realistic work: all-zero pages
 * (6.6+ skips them), text-like pages (≈3× with LZO), pointer-like pages
 * (kernel objects: 64-bit direct-map pointers and small integers, ≈2×) and
 * random pages (incompressible).
 */

export const PAGE_SIZE = 4096;

export const ContentKind = {
  /** No descriptor: contents are whatever the frame holds (zero unless written). */
  NONE: 0,
  ZERO: 1,
  TEXT: 2,
  POINTER: 3,
  RANDOM: 4,
  /** Kernel text/data-like: mostly pointer-like with code-ish bytes. */
  KERNEL: 5,
  /** The hogmem test pattern of the kernel-images fixtures (README "hogmem page pattern"). */
  PATTERN: 6,
  /**
   * Calibrated kinds CALIBRATED + L (L = 0…64): 64-byte blocks of which L/64
   * are incompressible and the rest low-entropy records, so that LZO1X-1
   * output per page follows L (≈ 16 + 64·L bytes). The scenario names
   * `kernel-text` and `pagecache` map to levels measured on the real images
   * (see CALIBRATION in ./calibration.ts).
   */
  CALIBRATED: 16,
  /**
   * A booted kernel's own object frame (struct pages, pglist_data, …) as its
   * kernel-data provider serialises it (src/machine/kernel-data.ts); `src` is
   * the frame in that kernel's memory. Never produced by generatePage().
   */
  KDATA: 7,
} as const;
/** Highest calibrated level (all blocks incompressible). */
export const CALIBRATED_LEVELS = 64;
export type ContentKindValue = (typeof ContentKind)[keyof typeof ContentKind];

export const CONTENT_KIND_NAMES: Record<number, string> = {
  0: 'none',
  1: 'zero',
  2: 'text',
  3: 'pointer',
  4: 'random',
  5: 'kernel',
  6: 'pattern',
  7: 'kernel-data',
};

/** A kind generatePage() produces from (seed, src): the descriptor alone gives the bytes. */
export function isGeneratedKind(kind: number): boolean {
  return (
    (kind >= ContentKind.ZERO && kind <= ContentKind.PATTERN) ||
    (kind >= ContentKind.CALIBRATED && kind <= ContentKind.CALIBRATED + CALIBRATED_LEVELS)
  );
}

/** Display name of a kind, including the calibrated levels ("calibrated/32"). */
export function contentKindName(kind: number): string {
  if (kind >= ContentKind.CALIBRATED && kind <= ContentKind.CALIBRATED + CALIBRATED_LEVELS)
    return `calibrated/${kind - ContentKind.CALIBRATED}`;
  return CONTENT_KIND_NAMES[kind] ?? `kind ${kind}`;
}

/** hogmem's page pattern: magic, index, total, pid, tag, ~index, then (off*7 + i) & 0xff. */
function patternPage(i: number, dst: Uint8Array): void {
  const dv = new DataView(dst.buffer, dst.byteOffset, PAGE_SIZE);
  const magic = 'HIBLAB-PAGE-V1';
  for (let k = 0; k < 16; k++) dst[k] = k < magic.length ? magic.charCodeAt(k) : 0;
  dv.setBigUint64(16, BigInt(i), true);
  dv.setBigUint64(24, 16384n, true);
  dv.setUint32(32, 0, true);
  dv.setUint32(36, 0x48424c42, true);
  dv.setBigUint64(40, BigInt.asUintN(64, ~BigInt(i)), true);
  for (let off = 48; off < PAGE_SIZE; off++) dst[off] = (off * 7 + i) & 0xff;
}

/** Words for text-like pages: a fixed corpus so the output is stable across versions. */
const WORDS =
  'the of and to in is for on that with as by this from at be or are it an not was which have ' +
  'page frame memory kernel swap image resume hibernate zone buddy order free list bitmap pfn ' +
  'struct mapping index flags lru dirty active slab cache inode dentry file block device sector ' +
  'error warning info debug mount proc sys dev run var usr lib bin etc home root user group ' +
  'GET POST HTTP 200 404 json value key name id time date size count total ok true false null';

let corpus: Uint8Array | undefined;

/** 64 KiB of deterministic text from which text pages take runs. */
export function textCorpus(): Uint8Array {
  if (corpus) return corpus;
  const words = WORDS.split(' ');
  const out = new Uint8Array(65536);
  let x = 0x12345678;
  let pos = 0;
  while (pos < out.length) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const w = words[(x >>> 0) % words.length]!;
    for (let i = 0; i < w.length && pos < out.length; i++) out[pos++] = w.charCodeAt(i);
    if (pos < out.length) out[pos++] = (x & 0x1f) === 0 ? 10 : 32;
  }
  corpus = out;
  return out;
}

/** Mix (seed, pfn, generation) into a non-zero 32-bit state (murmur3 finaliser). */
export function pageSeed(seed: number, pfn: number, generation: number): number {
  let h =
    (seed ^ Math.imul(pfn >>> 0, 0x9e3779b1) ^ Math.imul(Math.floor(pfn / 0x100000000), 0x85ebca6b)) >>> 0;
  h = (h ^ Math.imul(generation, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 0x6d2b79f5;
}

/**
 * Fill `dst` (4096 bytes) with the page of `kind` for (seed, pfn, generation).
 * Returns false for ZERO/NONE (dst is zeroed).
 */
export function generatePage(
  kind: number,
  seed: number,
  pfn: number,
  generation: number,
  dst: Uint8Array,
): boolean {
  if (kind === ContentKind.ZERO || kind === ContentKind.NONE) {
    dst.fill(0, 0, PAGE_SIZE);
    return false;
  }
  let x = pageSeed(seed, pfn, generation);
  const w = new Uint32Array(dst.buffer, dst.byteOffset, PAGE_SIZE >>> 2);
  if (kind >= ContentKind.CALIBRATED && kind <= ContentKind.CALIBRATED + CALIBRATED_LEVELS) {
    // 64 blocks of 16 words; exactly L of them (seeded choice) random, the others
    // records of a direct-map pointer, a small counter and zero words.
    const level = kind - ContentKind.CALIBRATED;
    let left = level;
    for (let b = 0; b < 64; b++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const take = (x >>> 0) % (64 - b) < left;
      const o = b * 16;
      if (take) {
        left--;
        for (let i = 0; i < 16; i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          w[o + i] = x;
        }
      } else {
        for (let i = 0; i < 16; i += 4) {
          w[o + i] = 0x40000000 + (b << 6) + i;
          w[o + i + 1] = 0xffff8880;
          w[o + i + 2] = b;
          w[o + i + 3] = 0;
        }
      }
    }
    w[0] = pfn >>> 0;
    return true;
  }
  switch (kind) {
    case ContentKind.PATTERN:
      // The page index of the 64 MiB region is not known per frame; the low pfn bits stand in.
      patternPage(pfn & 0x3fff, dst);
      return true;
    case ContentKind.RANDOM: {
      for (let i = 0; i < 1024; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        w[i] = x;
      }
      break;
    }
    case ContentKind.TEXT: {
      // Eight 512-byte runs from the corpus at seeded offsets.
      const c = textCorpus();
      for (let r = 0; r < 8; r++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const off = (x >>> 0) % (c.length - 512);
        dst.set(c.subarray(off, off + 512), r * 512);
      }
      break;
    }
    case ContentKind.POINTER:
    case ContentKind.KERNEL: {
      // struct-like records of 16 bytes: a direct-map pointer, a small int and a flags word.
      const hiWord = kind === ContentKind.KERNEL ? 0xffffffff : 0xffff8880;
      const base = kind === ContentKind.KERNEL ? 0x81000000 : (x & 0x3ff) << 20;
      for (let i = 0; i < 1024; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        w[i] = (base + (x & 0xffff0)) >>> 0;
        w[i + 1] = hiWord;
        w[i + 2] = x >>> 24;
        w[i + 3] = (x & 0x7) === 0 ? x : 0;
      }
      // Stamp the pfn so two pages never compare equal by accident.
      w[0] = pfn >>> 0;
      break;
    }
    default:
      throw new RangeError(`unknown content kind ${kind}`);
  }
  return true;
}

/**
 * 32-bit FNV-1a-style digest of a page over 32-bit words, in four
 * interleaved lanes (word i feeds lane i mod 4) so the multiplications do
 * not wait on each other, folded at the end in lane order. Used to compare
 * restored frames with what they held at hibernation (the manifest; never
 * stored or shown).
 */
export function pageDigest(page: Uint8Array): number {
  const w = new Uint32Array(page.buffer, page.byteOffset, PAGE_SIZE >>> 2);
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  let c = 0x1b873593;
  let d = 0x6b43a9b5;
  for (let i = 0; i < 1024; i += 4) {
    a = Math.imul(a ^ w[i]!, 0x01000193);
    b = Math.imul(b ^ w[i + 1]!, 0x01000193);
    c = Math.imul(c ^ w[i + 2]!, 0x01000193);
    d = Math.imul(d ^ w[i + 3]!, 0x01000193);
  }
  // Fold in lane order: mix (a bijection: xor-shift, odd multiplier), then xor the next whole lane.
  let h = Math.imul(a, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ c;
  h = Math.imul(h ^ (h >>> 16), 0x01000193) ^ d;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/** True when all 4096 bytes are zero (6.6+ do_copy_page() zero detection). */
export function isZeroPage(page: Uint8Array): boolean {
  const w = new Uint32Array(page.buffer, page.byteOffset, PAGE_SIZE >>> 2);
  for (let i = 0; i < 1024; i++) if (w[i] !== 0) return false;
  return true;
}
