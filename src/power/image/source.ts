/**
 * Platform-neutral block I/O for images: a random-access read source and a
 * page sink. The Node implementations over file descriptors live in
 * src/node/image-file.ts; in-memory ones are here for tests and the model.
 */

/** Random-access bytes (a swap device or file). Short reads only at the end. */
export interface ReadSource {
  readonly size: number;
  /** Up to `length` bytes at `offset`; fewer only when the source ends. */
  readAt(offset: number, length: number): Uint8Array;
  /**
   * Optional: read up to `dst.length` bytes at `offset` into `dst` (fewer
   * only when the source ends) and return the count. Lets hot readers reuse
   * one buffer instead of getting a fresh one per readAt().
   */
  readInto?(offset: number, dst: Uint8Array): number;
  /**
   * Optional: the name of a host file that holds exactly this source's bytes
   * [offset, offset + length) at the same offsets (nothing overlaid on them),
   * or null. A pool whose workers read files themselves (ChunkPool.readsFiles)
   * then reads a chunk's compressed bytes on the worker, not the caller's thread.
   */
  hostFile?(offset: number, length: number): string | null;
}

/** Where the writer puts swap pages (page index × 4096 = byte offset). */
export interface BlockSink {
  writePage(swapPage: number, bytes: Uint8Array): void | Promise<void>;
  /**
   * Optional: write `bytes` (a whole number of pages) to the consecutive
   * swap pages from `swapPage`, as writePage() on each would. The sink must
   * not use `bytes` after the call returns (or its promise settles): the
   * writer refills that buffer then.
   */
  writePages?(swapPage: number, bytes: Uint8Array): void | Promise<void>;
}

export class MemorySource implements ReadSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  readAt(offset: number, length: number): Uint8Array {
    const start = Math.min(Math.max(0, offset), this.bytes.length);
    return this.bytes.subarray(start, Math.min(this.bytes.length, start + Math.max(0, length)));
  }
}

/** A fixed-size in-memory device (writes beyond its end throw). */
export class MemoryDevice implements BlockSink, ReadSource {
  readonly bytes: Uint8Array;
  constructor(sizeOrBytes: number | Uint8Array) {
    this.bytes = typeof sizeOrBytes === 'number' ? new Uint8Array(sizeOrBytes) : sizeOrBytes;
  }
  get size(): number {
    return this.bytes.length;
  }
  writePage(swapPage: number, bytes: Uint8Array): void {
    const off = swapPage * 4096;
    if (off + bytes.length > this.bytes.length) {
      throw new RangeError(`write of swap page ${swapPage} beyond the ${this.bytes.length}-byte device`);
    }
    this.bytes.set(bytes, off);
  }
  readAt(offset: number, length: number): Uint8Array {
    return new MemorySource(this.bytes).readAt(offset, length);
  }
  writePages(swapPage: number, bytes: Uint8Array): void {
    this.writePage(swapPage, bytes);
  }
}

/**
 * A sparse in-memory swap device: only written pages take memory (a
 * compressed image of a large model is far smaller than its device).
 */
export class SparseMemoryDevice implements BlockSink, ReadSource {
  private readonly pages = new Map<number, Uint8Array>();
  constructor(readonly devicePages: number) {}
  get size(): number {
    return this.devicePages * 4096;
  }
  writePage(swapPage: number, bytes: Uint8Array): void {
    if (swapPage < 0 || swapPage >= this.devicePages) {
      throw new RangeError(`swap page ${swapPage} outside a ${this.devicePages}-page device`);
    }
    const p = new Uint8Array(4096);
    p.set(bytes.subarray(0, 4096));
    this.pages.set(swapPage, p);
  }
  readAt(offset: number, length: number): Uint8Array {
    const start = Math.min(Math.max(0, offset), this.size);
    const end = Math.min(this.size, start + Math.max(0, length));
    const out = new Uint8Array(end - start);
    for (let a = start; a < end; ) {
      const pg = Math.floor(a / 4096);
      const off = a - pg * 4096;
      const n = Math.min(4096 - off, end - a);
      const p = this.pages.get(pg);
      if (p) out.set(p.subarray(off, off + n), a - start);
      a += n;
    }
    return out;
  }
  /** Pages holding data. */
  get usedPages(): number {
    return this.pages.size;
  }
}

/**
 * A read-only device seen through a page overlay: writes (swsusp_check()'s
 * signature reset) land in memory, the file underneath is never touched, as
 * the fixtures resumed "a throw-away copy" of each pristine image.
 */
export class OverlayDevice implements BlockSink, ReadSource {
  private readonly pages = new Map<number, Uint8Array>();
  constructor(private readonly base: ReadSource) {}
  get size(): number {
    return this.base.size;
  }
  writePage(swapPage: number, bytes: Uint8Array): void {
    const p = new Uint8Array(4096);
    p.set(bytes.subarray(0, 4096));
    this.pages.set(swapPage, p);
  }
  readAt(offset: number, length: number): Uint8Array {
    const out = this.base.readAt(offset, length).slice();
    this.overlay(offset, out);
    return out;
  }
  /**
   * Into the reader's own buffer (the loader's chunk runs): no buffer per read
   * and no copy of it — a real image's resume read ~1 GiB through readAt()'s
   * two allocations, and the collector took ~20% of its main thread.
   */
  readInto(offset: number, dst: Uint8Array): number {
    const base = this.base;
    let n: number;
    if (base.readInto) n = base.readInto(offset, dst);
    else {
      const b = base.readAt(offset, dst.length);
      dst.set(b);
      n = b.length;
    }
    this.overlay(offset, dst.subarray(0, n));
    return n;
  }
  /** ReadSource.hostFile(): the base's file where no written page covers the range. */
  hostFile(offset: number, length: number): string | null {
    if (!this.base.hostFile) return null;
    for (const pg of this.pages.keys())
      if (pg * 4096 < offset + length && pg * 4096 + 4096 > offset) return null;
    return this.base.hostFile(offset, length);
  }
  /** The written pages over `out`, the bytes at `offset`. */
  private overlay(offset: number, out: Uint8Array): void {
    for (const [pg, bytes] of this.pages) {
      const a = Math.max(offset, pg * 4096);
      const b = Math.min(offset + out.length, pg * 4096 + 4096);
      if (a < b) out.set(bytes.subarray(a - pg * 4096, b - pg * 4096), a - offset);
    }
  }
}
