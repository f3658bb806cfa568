/**
 * Node front end: file access for the CLI. The model core never imports this;
 * it receives bytes and returns bytes.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HiblabError, UsageError } from '../errors.js';

/**
 * pread() until `dst` is full or the file ends (a short read is not EOF);
 * returns the bytes read.
 */
export function preadFull(fd: number, dst: Uint8Array, position: number): number {
  let got = 0;
  while (got < dst.length) {
    const n = readSync(fd, dst, got, dst.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** pwrite() all of `bytes` at `position` (a short write is retried). */
export function pwriteFull(fd: number, bytes: Uint8Array, position: number): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, position + off);
}

/** The part of [offset, offset + length) inside a file of `size` bytes, as [start, len]. */
export function clampRange(size: number, offset: number, length: number): [number, number] {
  const start = Math.max(0, Math.min(offset, size));
  return [start, Math.max(0, Math.min(length, size - start))];
}

/** Read a whole input file, turning ENOENT & co. into one-line errors. */
export function readInput(path: string): Uint8Array {
  try {
    const st = statSync(path);
    if (st.isDirectory())
      throw new UsageError('INPUT_IS_DIR', 'is a directory, expected a file', { file: path });
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof HiblabError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new UsageError('INPUT_UNREADABLE', `cannot read: ${err.code ?? err.message}`, { file: path });
  }
}

/** Read a text input as UTF-8 (invalid sequences become U+FFFD; parsers reject what they do not understand). */
export function readTextInput(path: string): string {
  return new TextDecoder('utf-8').decode(readInput(path));
}

/** Refuse to clobber a user's file unless `force`. */
export function assertWritable(path: string, force: boolean): void {
  if (!force && existsSync(path)) {
    throw new UsageError('OUTPUT_EXISTS', 'output file exists (pass --force to overwrite)', { file: path });
  }
}

/**
 * Write a file atomically: the bytes go to a temporary file in the same
 * directory, which is fsynced and renamed over the target only when complete.
 * On any error the temporary file is removed, so no partial output is left.
 */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private fd: number;
  private done = false;

  constructor(target: string, force: boolean) {
    assertWritable(target, force);
    this.target = target;
    this.tempPath = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
    try {
      this.fd = openSync(this.tempPath, 'wx');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError('OUTPUT_UNWRITABLE', `cannot create: ${err.code ?? err.message}`, {
        file: target,
      });
    }
  }

  /** Write bytes at an absolute file position (sparse files stay sparse). */
  writeAt(bytes: Uint8Array, position: number): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, position + off);
  }

  /** Finish: fsync, close and rename into place. */
  commit(): void {
    if (this.done) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tempPath, this.target);
    this.done = true;
  }

  /** Abandon: close and delete the temporary file. Safe to call more than once. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      /* already gone */
    }
  }
}

/** Write `bytes` to `target` atomically (see AtomicFileWriter). */
export function writeFileAtomic(target: string, bytes: Uint8Array | string, force: boolean): void {
  const w = new AtomicFileWriter(target, force);
  try {
    w.writeAt(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes, 0);
    w.commit();
  } catch (e) {
    w.abort();
    throw e;
  }
}
