/**
 * Node front end: file access for the CLI. The model core never imports this;
 * it receives bytes and returns bytes.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  linkSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HiblabError, ParseError, UsageError } from '../errors.js';
import { E820_MAX_INPUT_BYTES } from '../firmware/e820-limits.js';

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

/** Default bound on any input file (the e820 limit; scenarios pass their own, smaller one). */
export const INPUT_MAX_BYTES = E820_MAX_INPUT_BYTES;

const errnoOf = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
};

/**
 * Read an input file, but never more than `maxBytes` + 1 bytes: a regular file
 * is refused from its size before any read; a FIFO, character device (/dev/zero)
 * or /proc file (size 0) is read in slices until EOF or the limit + 1 byte, so
 * a hostile input costs at most `maxBytes` of memory. ENOENT & co. become
 * one-line errors naming the file.
 */
export function readInput(path: string, maxBytes = INPUT_MAX_BYTES, code = 'INPUT_TOO_LARGE'): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError('INPUT_UNREADABLE', `cannot read: ${errnoOf(e)}`, { file: path });
  }
  const tooLarge = (what: string) =>
    new ParseError(code, `${what}, more than the ${maxBytes}-byte input limit`, { file: path });
  try {
    const st = fstatSync(fd);
    if (st.isDirectory())
      throw new UsageError('INPUT_IS_DIR', 'is a directory, expected a file', { file: path });
    if (st.isFile() && st.size > maxBytes) throw tooLarge(`input is ${st.size} bytes`);
    const slices: Uint8Array[] = [];
    let total = 0;
    // A regular file is read in one piece (+1 byte to notice growth); anything else in 1 MiB slices.
    const slice = st.isFile() ? Math.min(st.size + 1, maxBytes + 1) : Math.min(1 << 20, maxBytes + 1);
    for (;;) {
      const buf = new Uint8Array(Math.min(slice, maxBytes + 1 - total));
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, null);
        if (n === 0) break;
        got += n;
      }
      if (got > 0) slices.push(got === buf.length ? buf : buf.subarray(0, got));
      total += got;
      if (total > maxBytes) throw tooLarge(`input goes on past ${maxBytes} bytes (stopped reading there)`);
      if (got < buf.length) break;
    }
    if (slices.length === 1) return slices[0]!;
    const out = new Uint8Array(total);
    let o = 0;
    for (const s of slices) {
      out.set(s, o);
      o += s.length;
    }
    return out;
  } catch (e) {
    if (e instanceof HiblabError) throw e;
    throw new UsageError('INPUT_UNREADABLE', `cannot read: ${errnoOf(e)}`, { file: path });
  } finally {
    closeSync(fd);
  }
}

/** An e820 input (log, /proc/iomem, etc/e820, JSON), bounded by the e820 input limit. */
export function readE820Input(path: string): Uint8Array {
  return readInput(path, E820_MAX_INPUT_BYTES, 'E820_INPUT_TOO_LARGE');
}

/** Read a text input as UTF-8 (invalid sequences become U+FFFD; parsers reject what they do not understand). */
export function readTextInput(path: string, maxBytes = INPUT_MAX_BYTES, code = 'INPUT_TOO_LARGE'): string {
  return new TextDecoder('utf-8').decode(readInput(path, maxBytes, code));
}

/** Refuse to clobber a user's file unless `force`; never write over a directory. */
export function assertWritable(path: string, force: boolean): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    return; // does not exist (or cannot be looked at: the create will say why)
  }
  if (st.isDirectory())
    throw new UsageError('OUTPUT_IS_DIR', 'output is a directory, expected a file name', { file: path });
  if (!force) {
    throw new UsageError('OUTPUT_EXISTS', 'output file exists (pass --force to overwrite)', { file: path });
  }
}

// ---- temporary files: removed on SIGINT/SIGTERM, stale ones of dead runs cleaned up ----

const liveTemps = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeLiveTemps(): void {
  for (const p of liveTemps) {
    try {
      unlinkSync(p);
    } catch {
      /* already gone */
    }
  }
  liveTemps.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  removeLiveTemps();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.removeListener('exit', removeLiveTemps);
  // Die of the signal as if no handler had been installed (exit status 128 + n), unless
  // someone else (a test runner) handles it.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

/** Track a temporary file: it is unlinked if the process is interrupted or exits first. */
export function registerTemp(path: string): void {
  if (liveTemps.size === 0) {
    for (const s of SIGNALS) process.on(s, onSignal);
    process.on('exit', removeLiveTemps);
  }
  liveTemps.add(path);
}

/** The temporary file was published or removed: stop tracking it. */
export function unregisterTemp(path: string): void {
  if (!liveTemps.delete(path) || liveTemps.size > 0) return;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.removeListener('exit', removeLiveTemps);
}

/** Is there a process with this pid (EPERM: yes, someone else's)? */
export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Remove files in `dir` named by `match` (which returns the pid in the name, or
 * undefined for other files) whose process is gone: the leftovers of a hiblab
 * killed by SIGKILL or a crash. Only names of our own pattern are touched.
 */
export function removeStaleTemps(dir: string, match: (name: string) => number | undefined): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const pid = match(n);
    if (pid === undefined || !Number.isSafeInteger(pid) || pid <= 0 || pidAlive(pid)) continue;
    try {
      unlinkSync(join(dir, n));
      removed.push(n);
    } catch {
      /* gone or not ours to remove */
    }
  }
  return removed;
}

/**
 * `.NAME.PID.tmp` beside `target`, the temporary a run writes before publishing
 * `target`; stale temporaries of the same target left by dead runs are removed first.
 */
export function tempPathFor(target: string): string {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  removeStaleTemps(dir, (n) => {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp')) return undefined;
    const mid = n.slice(prefix.length, -4);
    return /^[0-9]{1,10}$/.test(mid) ? Number(mid) : undefined;
  });
  return join(dir, `${prefix}${process.pid}.tmp`);
}

/**
 * Publish a finished temporary file under `target`. Without `force` this never
 * replaces a file: link(2) fails with EEXIST when `target` appeared while we
 * ran (the check at start-up is not enough); where hard links are not
 * supported it re-checks and renames. With `force` it renames over the file.
 * The temporary is gone afterwards in every case.
 */
export function publishFile(temp: string, target: string, force: boolean): void {
  const refuse = (): never => {
    throw new UsageError(
      'OUTPUT_EXISTS',
      'output file appeared while hiblab was running; not overwritten (pass --force to overwrite)',
      { file: target },
    );
  };
  const unwritable = (e: unknown): never => {
    const code = errnoOf(e);
    if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST')
      throw new UsageError('OUTPUT_IS_DIR', 'output is a directory, expected a file name', { file: target });
    throw new UsageError('OUTPUT_UNWRITABLE', `cannot create: ${code}`, { file: target });
  };
  try {
    if (force) {
      assertWritable(target, true);
      try {
        renameSync(temp, target);
      } catch (e) {
        unwritable(e);
      }
      return;
    }
    try {
      linkSync(temp, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') refuse();
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') unwritable(e);
      // No hard links here (FAT, some FUSE): re-check, then rename.
      if (existsSync(target)) refuse();
      try {
        renameSync(temp, target);
      } catch (e2) {
        unwritable(e2);
      }
    }
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      /* renamed away */
    }
    unregisterTemp(temp);
  }
}

/**
 * Write a file atomically: the bytes go to a temporary file in the same
 * directory (`.NAME.PID.tmp`), which is fsynced and published under the target
 * name only when complete (never replacing a file without `force`). On any
 * error or SIGINT/SIGTERM the temporary file is removed, so no partial output is left.
 */
export class AtomicFileWriter {
  readonly target: string;
  readonly tempPath: string;
  private fd: number;
  private done = false;

  constructor(
    target: string,
    private readonly force: boolean,
  ) {
    assertWritable(target, force);
    this.target = target;
    this.tempPath = tempPathFor(target);
    try {
      this.fd = openSync(this.tempPath, 'wx');
    } catch (e) {
      throw new UsageError('OUTPUT_UNWRITABLE', `cannot create: ${errnoOf(e)}`, { file: target });
    }
    registerTemp(this.tempPath);
  }

  private writeFailed(e: unknown): never {
    const code = errnoOf(e);
    const why =
      code === 'EFBIG' ? ' (file too large for this filesystem)' : code === 'ENOSPC' ? ' (disk full)' : '';
    throw new UsageError('OUTPUT_WRITE_FAILED', `cannot write: ${code}${why}`, { file: this.target });
  }

  /**
   * Make the file `size` bytes long at once (a hole): a filesystem that cannot
   * hold a file that large says so now (EFBIG), before any work is done.
   */
  reserve(size: number): void {
    try {
      if (fstatSync(this.fd).size < size) ftruncateSync(this.fd, size);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'EFBIG' || code === 'EINVAL') {
        throw new UsageError(
          'OUTPUT_TOO_LARGE',
          `output would be ${size} bytes, more than this filesystem allows in one file (${code})`,
          { file: this.target },
        );
      }
      this.writeFailed(e);
    }
  }

  /** Write bytes at an absolute file position (sparse files stay sparse). */
  writeAt(bytes: Uint8Array, position: number): void {
    try {
      pwriteFull(this.fd, bytes, position);
    } catch (e) {
      this.writeFailed(e);
    }
  }

  /** Finish: fsync, close and publish under the target name. */
  commit(): void {
    if (this.done) return;
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
    } catch (e) {
      this.writeFailed(e);
    }
    this.done = true;
    publishFile(this.tempPath, this.target, this.force);
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
    unregisterTemp(this.tempPath);
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
