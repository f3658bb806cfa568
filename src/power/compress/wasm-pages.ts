/**
 * The pool's per-page work in the WebAssembly module (src/lib/wasm/instance.ts;
 * assembly/content.ts): generating pages from their descriptors and
 * digesting them, the same bytes and digests as generatePage() / pageDigest()
 * of workload/content.ts, which stay the reference and the fallback (no
 * WebAssembly, HIBLAB_CODEC=js, or a kind the port does not make: PATTERN).
 *
 * A compression job's chunk is prepared in the module's `src` region
 * (prepareChunk): the job's bytes copied in, the described pages generated
 * over them. The LZO compressor then reads it in place (lzoCompress skips
 * the copy for that region), and crc32 / digests read the same view.
 */
import { type HiblabWasm, hiblabWasm } from '../../lib/wasm/instance.js';
import { generatePage, PAGE_SIZE, pageDigest, textCorpus } from '../../workload/content.js';

/** GEN_WORDS of pool.ts (a u32 triple per page: kind, seed, src pfn). */
const GEN_WORDS = 3;

/** This thread's module with the text corpus loaded, or null (TS paths). */
export function pagesWasm(): HiblabWasm | null {
  const w = hiblabWasm();
  if (w && !w.corpusLoaded) {
    w.bytes.set(textCorpus(), w.corpus);
    w.corpusLoaded = true;
  }
  return w;
}

/** generatePage(kind, seed, pfn, 0) at byte address `at` of the module's memory. */
function generateAt(w: HiblabWasm, kind: number, seed: number, pfn: number, at: number): void {
  if (w.x.generate(kind, seed, pfn, at, w.corpus) < 0)
    generatePage(kind, seed, pfn, 0, w.bytes.subarray(at, at + PAGE_SIZE));
}

/**
 * `data` copied into the module's src region with the pages `gen` describes
 * (GEN_WORDS per page from word `at`; kind 0 = keep the job's bytes) made
 * there; returns that view (valid until the module's memory next grows).
 */
export function prepareChunk(
  w: HiblabWasm,
  data: Uint8Array,
  gen: Uint32Array | undefined,
  at: number,
): Uint8Array {
  const n = data.length;
  w.reserve(n);
  const bytes = w.bytes;
  const pages = Math.floor(n / PAGE_SIZE);
  if (!gen) bytes.set(data, w.src);
  else {
    // Copy only what no descriptor overwrites (runs of kind-0 pages, and a tail).
    let p = 0;
    for (let g = at; p < pages; p++, g += GEN_WORDS) {
      const kind = gen[g]!;
      const addr = w.src + p * PAGE_SIZE;
      if (kind === 0) bytes.set(data.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), addr);
      else generateAt(w, kind, gen[g + 1]!, gen[g + 2]!, addr);
    }
    if (n > pages * PAGE_SIZE) bytes.set(data.subarray(pages * PAGE_SIZE), w.src + pages * PAGE_SIZE);
  }
  return bytes.subarray(w.src, w.src + n);
}

/** pageDigest() of every page of `data` into out[at..] (in the module when `data` lies in it). */
export function digestPagesInto(data: Uint8Array, out: Uint32Array, at: number): void {
  const pages = Math.floor(data.length / PAGE_SIZE);
  const w = hiblabWasm();
  const addr = w ? w.addressOf(data) : -1;
  if (w && addr >= 0) {
    for (let p = 0; p < pages; p++) out[at + p] = w.x.digest(addr + p * PAGE_SIZE) >>> 0;
  } else {
    for (let p = 0; p < pages; p++)
      out[at + p] = pageDigest(data.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  }
}

/** pageDigest() of each descriptor's generated page, made in the module's scratch page. */
export function digestGeneratedWasm(w: HiblabWasm, descs: Uint32Array, out: Uint32Array): void {
  const n = Math.floor(descs.length / GEN_WORDS);
  for (let i = 0, g = 0; i < n; i++, g += GEN_WORDS) {
    generateAt(w, descs[g]!, descs[g + 1]!, descs[g + 2]!, w.page);
    out[i] = w.x.digest(w.page) >>> 0;
  }
}

/**
 * The expected page of a descriptor, made in the module's scratch page;
 * returns a Uint32Array view of it (1024 words) for the caller to compare.
 */
export function expectedPageWasm(w: HiblabWasm, kind: number, seed: number, pfn: number): Uint32Array {
  generateAt(w, kind, seed, pfn, w.page);
  return new Uint32Array(w.bytes.buffer, w.page, PAGE_SIZE >>> 2);
}

/**
 * matchGenerated() in the module: for each page of `data` with an
 * expectation in `expect` (GEN_WORDS per page from word `at`), 1 in
 * out[outAt + p] when its bytes equal the generated page, else 0. The chunk
 * is copied into the module's src region once (one copy, no view per page:
 * the worker's young generation filled with per-page views) and each page
 * compared there with the expected page made in its scratch page.
 */
export function matchPagesWasm(
  w: HiblabWasm,
  data: Uint8Array,
  expect: Uint32Array,
  at: number,
  out: Uint8Array,
  outAt: number,
): void {
  const pages = Math.floor(data.length / PAGE_SIZE);
  let any = false;
  for (let p = 0, g = at; p < pages && !any; p++, g += GEN_WORDS) any = g < expect.length && expect[g]! !== 0;
  if (!any) {
    out.fill(0, outAt, outAt + pages);
    return;
  }
  w.reserve(pages * PAGE_SIZE);
  if (w.addressOf(data) !== w.src)
    w.bytes.set(pages * PAGE_SIZE === data.length ? data : data.subarray(0, pages * PAGE_SIZE), w.src);
  for (let p = 0, g = at; p < pages; p++, g += GEN_WORDS) {
    const kind = g < expect.length ? expect[g]! : 0;
    let ok = 0;
    if (kind !== 0) {
      generateAt(w, kind, expect[g + 1]!, expect[g + 2]!, w.page);
      ok = w.x.samePage(w.src + p * PAGE_SIZE, w.page) ? 1 : 0;
    }
    out[outAt + p] = ok;
  }
}
