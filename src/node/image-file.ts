/**
 * Node file I/O for hibernation images: a ReadSource over a file descriptor
 * (pread, so a 320 MiB device is never read whole) and a BlockSink that
 * writes swap pages into a file.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { HiblabError, UsageError } from '../errors.js';
import { ImageReader, type OpenImageOptions } from '../power/image/reader.js';
import type { BlockSink, ReadSource } from '../power/image/source.js';
import { clampRange, preadFull, pwriteFull } from './files.js';

export class FileSource implements ReadSource {
  readonly size: number;
  private fd: number;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
      const st = fstatSync(this.fd);
      if (st.isDirectory()) {
        closeSync(this.fd);
        throw new UsageError('INPUT_IS_DIR', 'is a directory, expected a swap device or image file', {
          file: path,
        });
      }
      // Block devices report size 0 through fstat; fall back to seeking is not portable, so require files.
      this.size = st.size;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new UsageError('INPUT_UNREADABLE', `cannot open: ${err.code ?? err.message}`, { file: path });
    }
  }

  readAt(offset: number, length: number): Uint8Array {
    const [start, len] = clampRange(this.size, offset, length);
    const buf = new Uint8Array(len);
    const got = preadFull(this.fd, buf, start);
    return got === len ? buf : buf.subarray(0, got);
  }

  /** readAt() into a caller's buffer (no allocation per read). */
  readInto(offset: number, dst: Uint8Array): number {
    const [start, len] = clampRange(this.size, offset, dst.length);
    return preadFull(this.fd, dst.subarray(0, len), start);
  }

  /** ReadSource.hostFile(): this file, for a range inside it. */
  hostFile(offset: number, length: number): string | null {
    return offset >= 0 && offset + length <= this.size ? this.path : null;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Writes swap pages at page × 4096 into an open file descriptor. */
export class FileSink implements BlockSink {
  constructor(private readonly fd: number) {}
  writePage(swapPage: number, bytes: Uint8Array): void {
    pwriteFull(this.fd, bytes, swapPage * 4096);
  }
  /** Consecutive pages in one pwrite (the writer batches runs of slots). */
  writePages(swapPage: number, bytes: Uint8Array): void {
    this.writePage(swapPage, bytes);
  }
}

/**
 * RunIo.openImage for Node (a scenario's `suspend.image`): the file through
 * pread, never read whole, whatever its size; close() releases the descriptor.
 */
export function openImageSource(path: string): FileSource {
  return new FileSource(path);
}

/** Open an image file; file errors and "no image" come back as HiblabErrors naming the path. */
export function openImageFile(
  path: string,
  opts: OpenImageOptions = {},
): { src: FileSource; reader: ImageReader } {
  const src = new FileSource(path);
  try {
    return { src, reader: ImageReader.open(src, opts) };
  } catch (e) {
    src.close();
    if (e instanceof HiblabError) e.withFile(path);
    throw e;
  }
}
