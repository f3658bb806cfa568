/**
 * The syscall-shaped API a model process uses (one Syscalls per task):
 * mmap/munmap/mprotect/madvise, open/close/ioctl/pread/pwrite/ftruncate,
 * fork/exit/kill/waitpid, malloc (glibc: large blocks are mmap'd), and CPU
 * loads/stores through the process's page tables. Errors are returned as
 * negative errno values like the raw syscalls; mmap failure is MAP_FAILED (-1
 * in the C library, here the negative errno).
 */
import { copyFromUser, copyToUser, userTranslate } from '../arch/x86/user-fault.js';
import type { MmContext } from '../mm/context.js';
import { doMadvise } from '../mm/madvise.js';
import {
  doMmap,
  doMunmap,
  EBADF,
  EINVAL,
  ENOENT,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  PROT_READ,
  PROT_WRITE,
} from '../mm/mmap.js';
import { doMprotect } from '../mm/mprotect.js';
import { shmemFileSetup, shmemRw } from '../mm/shmem.js';
import { type CharDevice, OpenFile } from './files.js';
import { type Task, TaskExit, type Tasks } from './task.js';

export const O_RDWR = 2;
export const O_EXCL = 0o200;
export const O_TMPFILE = 0o20200000;
/** glibc malloc: DEFAULT_MMAP_THRESHOLD and DEFAULT_TOP_PAD. */
const MMAP_THRESHOLD = 128 * 1024;
const TOP_PAD = 128 * 1024;
/** Where brk starts for a PIE binary under the model's fixed (non-randomised) layout. */
const HEAP_BASE = 0x555555559000;

/** The system the processes share: tasks and device nodes. */
export interface System {
  readonly ctx: MmContext;
  readonly tasks: Tasks;
  readonly devices: Map<string, CharDevice>;
}

export class Syscalls {
  constructor(
    readonly sys: System,
    readonly task: Task,
  ) {}

  get ctx(): MmContext {
    return this.sys.ctx;
  }

  get pid(): number {
    return this.task.pid;
  }

  mmap(addr: number, length: number, prot: number, flags: number, fd = -1, offset = 0): number {
    let target = null;
    if (!(flags & MAP_ANONYMOUS)) {
      const f = this.task.files.get(fd);
      if (!f) return -EBADF;
      target = f.mmapTarget();
    }
    return doMmap(this.ctx, this.task.mm, addr, length, prot, flags, target, offset / 4096);
  }

  munmap(addr: number, length: number): number {
    return doMunmap(this.ctx, this.task.mm, addr, length);
  }

  mprotect(addr: number, length: number, prot: number): number {
    return doMprotect(this.ctx, this.task.mm, addr, length, prot);
  }

  madvise(addr: number, length: number, advice: number): number {
    return doMadvise(this.ctx, this.task.mm, addr, length, advice);
  }

  /**
   * malloc(): glibc's behaviour reduced to what the tests can observe. Blocks
   * of M_MMAP_THRESHOLD (128 KiB) and more get their own mmap; smaller ones
   * come from the brk heap ([heap], grown by brk in steps of the request plus
   * M_TOP_PAD 128 KiB), so a C test that overruns a small block (hmm-tests'
   * double_map reads 6 pages into malloc(6)) writes heap memory, as it does
   * on Linux. free() of a heap block keeps the memory (the heap never shrinks
   * here); the process's exit releases it.
   */
  malloc(size: number): number {
    const n = Math.max(size, 1);
    if (n >= MMAP_THRESHOLD) {
      const p = this.mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
      if (p < 0) return 0;
      this.mallocSizes.set(p, n);
      return p;
    }
    // A chunk: 16-byte header, 16-byte aligned user pointer.
    const need = Math.ceil((n + 16) / 16) * 16;
    if (this.heapTop + need > this.heapEnd) {
      if (this.heapEnd === 0) this.heapTop = this.heapEnd = HEAP_BASE;
      const grow = Math.ceil((need + TOP_PAD) / 4096) * 4096;
      const r = this.mmap(
        this.heapEnd,
        grow,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
      );
      if (r < 0) return 0;
      this.heapEnd += grow;
    }
    const p = this.heapTop + 16;
    this.heapTop += need;
    return p;
  }
  private readonly mallocSizes = new Map<number, number>();
  private heapTop = 0;
  private heapEnd = 0;

  free(p: number): void {
    const n = this.mallocSizes.get(p);
    if (n !== undefined) {
      this.mallocSizes.delete(p);
      this.munmap(p, n);
    }
  }

  private nextFd(): number {
    let fd = 3;
    while (this.task.files.has(fd)) fd++;
    return fd;
  }

  /** open(path, flags): a device node, or O_TMPFILE in a tmpfs directory. */
  open(path: string, flags: number): number {
    if ((flags & O_TMPFILE) === O_TMPFILE) {
      const as = shmemFileSetup(this.ctx, `${path}/#tmpfile`, 0);
      const fd = this.nextFd();
      this.task.files.set(fd, new OpenFile(this.ctx, path, as, null, null));
      return fd;
    }
    const dev = this.sys.devices.get(path);
    if (!dev) return -ENOENT;
    const priv = dev.open(this.task);
    if (typeof priv === 'number' && priv < 0) return priv;
    const fd = this.nextFd();
    this.task.files.set(fd, new OpenFile(this.ctx, path, null, dev, priv));
    return fd;
  }

  close(fd: number): number {
    const f = this.task.files.get(fd);
    if (!f) return -EBADF;
    this.task.files.delete(fd);
    f.put();
    return 0;
  }

  ioctl(fd: number, cmd: number, arg: number): number {
    const f = this.task.files.get(fd);
    if (!f) return -EBADF;
    if (!f.dev) return -25; // -ENOTTY
    return f.dev.ioctl(f, this.task, cmd, arg);
  }

  ftruncate(fd: number, size: number): number {
    const f = this.task.files.get(fd);
    if (!f?.mapping) return -EINVAL;
    f.mapping.size = size;
    return 0;
  }

  /** read(fd, buf, count): device / proc files with a read op. */
  read(fd: number, buf: number, count: number): number {
    const f = this.task.files.get(fd);
    if (!f) return -EBADF;
    if (!f.dev?.read) return -EINVAL;
    return f.dev.read(f, this.task, buf, count);
  }

  /** pwrite(fd, buf, count, offset) from user memory. */
  pwrite(fd: number, buf: number, count: number, offset: number): number {
    const f = this.task.files.get(fd);
    if (!f?.mapping) return -EBADF;
    const bytes = copyFromUser(this.ctx, this.task.mm, buf, count);
    if (!bytes) return -14;
    return shmemRw(this.ctx, f.mapping, bytes, offset, true);
  }

  /** pread(fd, buf, count, offset) into user memory. */
  pread(fd: number, buf: number, count: number, offset: number): number {
    const f = this.task.files.get(fd);
    if (!f?.mapping) return -EBADF;
    const bytes = new Uint8Array(count);
    const n = shmemRw(this.ctx, f.mapping, bytes, offset, false);
    if (!copyToUser(this.ctx, this.task.mm, buf, bytes.subarray(0, n))) return -14;
    return n;
  }

  // ---- the CPU ----

  /** *(int *)va */
  getI32(va: number): number {
    return this.task.cpu.loadI32(va);
  }
  /** *(int *)va = v */
  setI32(va: number, v: number): void {
    this.task.cpu.storeI32(va, v);
  }
  getU8(va: number): number {
    return this.task.cpu.loadU8(va);
  }
  setU8(va: number, v: number): void {
    this.task.cpu.storeU8(va, v);
  }
  /**
   * The 1024 ints of the user page holding `va`, after the CPU's translation
   * of one access to it (faulting as a load or store would). For loops over
   * whole buffers: every later access to the same page in the same direction
   * hits the same frame until the next fault elsewhere changes mappings, which
   * a plain load or store loop cannot do.
   */
  userPageI32(va: number, write: boolean): Int32Array {
    const pfn = userTranslate(this.ctx, this.task.mm, va, write);
    const f = this.ctx.mem.frame(pfn);
    return new Int32Array(f.buffer, f.byteOffset, 1024);
  }

  /** memset(): whole aligned words at a time, bytes at the edges. */
  memset(va: number, b: number, n: number): void {
    const cpu = this.task.cpu;
    let i = 0;
    for (; i < n && (va + i) % 4; i++) cpu.storeU8(va + i, b);
    const w = (b & 0xff) * 0x01010101;
    for (; i + 4 <= n; i += 4) cpu.storeI32(va + i, w | 0);
    for (; i < n; i++) cpu.storeU8(va + i, b);
  }

  // ---- processes ----

  /**
   * fork(): the child runs `child` (its own Syscalls) to completion right away
   * and exits with its return value; with no body the child spins until it
   * is killed (`while (1);`). Returns the child's pid.
   */
  fork(child?: (sys: Syscalls) => unknown): number {
    const t = this.sys.tasks.fork(this.task);
    if (child) {
      const cs = new Syscalls(this.sys, t);
      // The child's copy of the address space carries the C library's heap state.
      cs.heapTop = this.heapTop;
      cs.heapEnd = this.heapEnd;
      for (const [p, n] of this.mallocSizes) cs.mallocSizes.set(p, n);
      let status = 0;
      try {
        const code = child(cs);
        status = ((typeof code === 'number' ? code : 0) & 0xff) << 8;
      } catch (e) {
        if (!(e instanceof TaskExit)) {
          this.sys.tasks.exit(t, 1 << 8);
          throw e;
        }
        status = e.status;
      }
      this.sys.tasks.exit(t, status);
    }
    return t.pid;
  }

  /** exit(code) / _exit(code). */
  exit(code: number): never {
    throw new TaskExit((code & 0xff) << 8);
  }

  kill(pid: number, sig: number): number {
    return this.sys.tasks.kill(pid, sig);
  }

  waitpid(pid: number): { pid: number; status: number } {
    return this.sys.tasks.waitpid(pid);
  }
}
