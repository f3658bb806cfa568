/**
 * Restored frames that read their bytes back from the image.
 *
 * A real image's data pages are bytes the model cannot regenerate (no
 * descriptors: they were not made by the model). Holding each restored frame
 * as a 4 KiB host buffer made the host cost of `hiblab resume` the image's
 * size (a 4 GiB VM's image: ~2 GiB). The loader instead records, for every
 * frame it fills with a data page, which page of the uncompressed stream it
 * was; the frame becomes a synthesised frame (PhysMem.synthesise) whose
 * bytes are that stream page, decompressed again from the image on read.
 * The kernel's own memcpy() leaves the frame holding exactly those bytes, so
 * to every reader it is the same frame; a write materialises it as usual.
 *
 * Per-frame state (the layout, LEAF frames = 16 MiB of physical space per leaf):
 *   leaves: Map<pfn >> 12, Int32Array(4096)>, slot = stream page + 1 (0 = none),
 * allocated on the first frame of a leaf and charged to the host budget with
 * PhysMem's synthesised-frame slots of that leaf (4 + 8 bytes per frame).
 * Stream pages < 2^31 (an image's stream is counted in an unsigned int).
 *
 * Reads go through a small cache of decompressed chunks (direct mapped by
 * chunk index): frames are mostly read in pfn order, and consecutive pfns are
 * consecutive stream pages of one chunk.
 */

import type { HostBudget } from '../mm/host-budget.js';
import type { FrameSource, PhysMem } from '../mm/phys-mem.js';
import { UNC_PAGES } from './compress/compressor.js';
import type { ImageReader } from './image/reader.js';
import { PAGE_SIZE } from './snapshot/kernel-heap.js';

const LEAF_SHIFT = 12;
const LEAF = 1 << LEAF_SHIFT;
/** Host bytes per frame of a leaf: its Int32Array slot and PhysMem's synth-table slot. */
const LEAF_COST = LEAF * (4 + 8);
/** Decompressed chunks kept (128 KiB each). */
const CACHE_SLOTS = 8;

export class ImageFrameSource implements FrameSource {
  private readonly leaves = new Map<number, Int32Array>();
  private lastKey = -1;
  private last: Int32Array | undefined;
  private readonly cacheKey = new Float64Array(CACHE_SLOTS).fill(-1);
  private readonly cacheData: (Uint8Array | null)[] = new Array(CACHE_SLOTS).fill(null);
  constructor(
    private readonly reader: ImageReader,
    private readonly budget: HostBudget | null,
  ) {}

  private leaf(pfn: number, create: boolean): Int32Array | undefined {
    const k = Math.floor(pfn / LEAF);
    if (k === this.lastKey) return this.last;
    let l = this.leaves.get(k);
    if (!l) {
      if (!create) return undefined;
      this.budget?.charge('frames', LEAF_COST);
      l = new Int32Array(LEAF);
      this.leaves.set(k, l);
    }
    this.lastKey = k;
    this.last = l;
    return l;
  }

  /** Frame `pfn` of `mem` now holds stream page `stream` (the loader's memcpy of it). */
  attach(mem: PhysMem, pfn: number, stream: number): void {
    this.leaf(pfn, true)![pfn & (LEAF - 1)] = stream + 1;
    mem.synthesise(pfn, this);
  }

  /** The stream page frame `pfn` reads, or -1 (a frame this source never held). */
  streamPageOf(pfn: number): number {
    const l = this.leaf(pfn, false);
    return l ? l[pfn & (LEAF - 1)]! - 1 : -1;
  }

  /**
   * restore_image()'s copy of frame `src` into `dst` when `src` reads from this
   * source: `dst` reads the same stream page (no bytes made). False when `src`
   * is not one of this source's frames in `mem`.
   */
  alias(mem: PhysMem, dst: number, src: number): boolean {
    if (mem.sourceOf(src) !== this) return false;
    const s = this.streamPageOf(src);
    if (s < 0) return false;
    if (dst !== src) this.attach(mem, dst, s);
    return true;
  }

  fill(pfn: number, dst: Uint8Array): void {
    const s = this.streamPageOf(pfn);
    if (s < 0) throw new Error(`ImageFrameSource: frame 0x${pfn.toString(16)} has no stream page`);
    dst.set(this.streamPage(s));
  }

  /** Stream page `s`'s bytes (a view valid until the next call). */
  private streamPage(s: number): Uint8Array {
    const r = this.reader;
    if (!r.compressor) return r.streamPage(s);
    const ci = Math.floor(s / UNC_PAGES);
    const slot = ci % CACHE_SLOTS;
    let data = this.cacheData[slot];
    if (this.cacheKey[slot] !== ci || !data) {
      data = r.decompressChunk(r.chunks()[ci]!);
      this.cacheData[slot] = data;
      this.cacheKey[slot] = ci;
    }
    const o = (s - ci * UNC_PAGES) * PAGE_SIZE;
    return data.subarray(o, o + PAGE_SIZE);
  }
}
