/**
 * A swap device in a sparse file, for `hiblab run`: the hibernation image is
 * written into it page by page; after `seal()`, writes (the resume kernel's
 * signature reset) go to a small overlay so the file keeps the image exactly
 * as hibernation wrote it, ready for `hiblab image info`.
 */
import { closeSync, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockSink, ReadSource } from '../power/image/source.js';
import {
  clampRange,
  preadFull,
  pwriteFull,
  registerTemp,
  removeStaleTemps,
  unregisterTemp,
} from './files.js';

const DEFAULT_NAME = /^hiblab-swap-([0-9]{1,10})-[0-9]+\.img$/;

export class FileSwapDevice implements ReadSource, BlockSink {
  readonly path: string;
  private fd: number;
  private sealed = false;
  private readonly overlay = new Map<number, Uint8Array>();
  /** Write coalescing: consecutive pages gathered into one pwrite (1 MiB). */
  private readonly pend = new Uint8Array(256 * 4096);
  private pendFirst = -1;
  private pendCount = 0;

  constructor(
    readonly devicePages: number,
    path?: string,
  ) {
    if (path === undefined) {
      // Devices of runs that were killed (SIGKILL, a crash) before they could remove theirs.
      removeStaleTemps(tmpdir(), (n) => {
        const m = DEFAULT_NAME.exec(n);
        return m ? Number(m[1]) : undefined;
      });
    }
    this.path = path ?? join(tmpdir(), `hiblab-swap-${process.pid}-${Date.now()}.img`);
    this.fd = openSync(this.path, 'wx+');
    registerTemp(this.path);
    ftruncateSync(this.fd, devicePages * 4096);
  }

  get size(): number {
    return this.devicePages * 4096;
  }

  writePage(swapPage: number, bytes: Uint8Array): void {
    if (swapPage < 0 || swapPage >= this.devicePages) {
      throw new RangeError(`swap page ${swapPage} outside a ${this.devicePages}-page device`);
    }
    if (this.sealed) {
      this.overlay.set(swapPage, bytes.slice(0, 4096));
      return;
    }
    if (this.pendCount > 0 && (swapPage !== this.pendFirst + this.pendCount || this.pendCount === 256))
      this.flush();
    if (this.pendCount === 0) this.pendFirst = swapPage;
    this.pend.set(bytes.subarray(0, 4096), this.pendCount * 4096);
    this.pendCount++;
  }

  /**
   * BlockSink.writePages(): consecutive pages in one pwrite (after the
   * gathered ones); page by page once sealed (the overlay).
   */
  writePages(swapPage: number, bytes: Uint8Array): void {
    const n = Math.floor(bytes.length / 4096);
    if (swapPage < 0 || swapPage + n > this.devicePages) {
      throw new RangeError(
        `swap pages ${swapPage}..${swapPage + n - 1} outside a ${this.devicePages}-page device`,
      );
    }
    if (this.sealed) {
      for (let i = 0; i < n; i++) this.writePage(swapPage + i, bytes.subarray(i * 4096, (i + 1) * 4096));
      return;
    }
    this.flush();
    pwriteFull(this.fd, bytes.subarray(0, n * 4096), swapPage * 4096);
  }

  /** Write out the gathered pages. */
  flush(): void {
    if (this.pendCount === 0) return;
    const len = this.pendCount * 4096;
    pwriteFull(this.fd, this.pend.subarray(0, len), this.pendFirst * 4096);
    this.pendCount = 0;
  }

  readAt(offset: number, length: number): Uint8Array {
    const [, len] = clampRange(this.size, offset, length);
    const buf = new Uint8Array(len);
    this.readInto(offset, buf);
    return buf;
  }

  /**
   * ReadSource.readInto(): the file's bytes into a caller's buffer, then the
   * overlaid pages over them. No allocation per read, also once sealed: the
   * resume kernel's signature reset puts page 0 in the overlay before the
   * image is read, and a fresh buffer per read (~1 GiB of them per GiB of
   * image) cost the loader's thread its time in GC.
   */
  readInto(offset: number, dst: Uint8Array): number {
    this.flush();
    const [start, len] = clampRange(this.size, offset, dst.length);
    const got = preadFull(this.fd, dst.subarray(0, len), start);
    if (this.overlay.size === 0) return got;
    for (const [pg, data] of this.overlay) {
      const a = pg * 4096;
      if (a + 4096 <= start || a >= start + len) continue;
      const s = Math.max(a, start);
      const e = Math.min(a + 4096, start + len);
      dst.set(data.subarray(s - a, e - a), s - start);
    }
    return got;
  }

  /**
   * ReadSource.hostFile(): this file, where no overlaid page covers the range
   * (gathered writes flushed first, so the file holds what readInto() would).
   */
  hostFile(offset: number, length: number): string | null {
    if (offset < 0 || offset + length > this.size) return null;
    this.flush();
    for (const pg of this.overlay.keys())
      if (pg * 4096 < offset + length && pg * 4096 + 4096 > offset) return null;
    return this.path;
  }

  /** From now on, writes stay in memory (the file keeps the image as written). */
  seal(): void {
    this.flush();
    this.sealed = true;
  }

  close(): void {
    if (this.fd >= 0) this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  remove(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
    unregisterTemp(this.path);
  }
}
