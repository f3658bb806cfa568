/**
 * The syscall-shaped API a model process uses (one Syscalls per task):
 * mmap/munmap/mprotect/madvise, open/close/ioctl/pread/pwrite/ftruncate,
 * fork/exit/kill/waitpid, malloc (glibc: large blocks are mmap'd), and CPU
 * loads/stores through the process's page tables. Errors are returned as
 * negative errno values like the raw syscalls; mmap failure is MAP_FAILED (-1
 * in the C library, here the negative errno).
 */
import { copyFromUser, copyToUser } from '../arch/x86/user-fault.js';
import type { MmContext } from '../mm/context.js';
import { doMadvise } from '../mm/madvise.js';
import {
  doMmap,
  doMunmap,
  EBADF,
  EINVAL,
  ENOENT,
  MAP_ANONYMOUS,
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

  /** malloc(): glibc serves large blocks with mmap; the model maps every block (page granular). */
  malloc(size: number): number {
    const p = this.mmap(0, Math.max(size, 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    this.mallocSizes.set(p, Math.max(size, 1));
    return p;
  }
  private readonly mallocSizes = new Map<number, number>();

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
  /** memset(). */
  memset(va: number, b: number, n: number): void {
    for (let i = 0; i < n; i++) this.task.cpu.storeU8(va + i, b);
  }

  // ---- processes ----

  /**
   * fork(): the child runs `child` (its own Syscalls) to completion right away
   * and exits with its return value; with no body the child spins until it
   * is killed (`while (1);`). Returns the child's pid.
   */
  fork(child?: (sys: Syscalls) => number | undefined): number {
    const t = this.sys.tasks.fork(this.task);
    if (child) {
      const cs = new Syscalls(this.sys, t);
      let status = 0;
      try {
        status = ((child(cs) ?? 0) & 0xff) << 8;
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
