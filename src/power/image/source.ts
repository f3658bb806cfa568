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
}

/** Where the writer puts swap pages (page index × 4096 = byte offset). */
export interface BlockSink {
  writePage(swapPage: number, bytes: Uint8Array): void | Promise<void>;
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
}
