/**
 * Open files (include/linux/fs.h struct file): a tmpfs inode (O_TMPFILE in
 * /tmp) or a character device node (/dev/hmm_dmirrorN, /sys/kernel/debug/
 * gup_test). The last fput() calls the driver's release (or evicts the
 * tmpfs inode).
 */
import type { MmContext } from '../mm/context.js';
import type { MmapTarget } from '../mm/mmap.js';
import { shmemEvict } from '../mm/shmem.js';
import type { AddressSpace, Vma } from '../mm/vma.js';
import type { Task } from './task.js';

/** struct file_operations of a character device. */
export interface CharDevice {
  readonly path: string;
  /** open(): private data for the file, or a negative errno. */
  open(task: Task): unknown | number;
  ioctl(file: OpenFile, task: Task, cmd: number, arg: number): number;
  release(file: OpenFile): void;
  mmap?(file: OpenFile, vma: Vma): number;
  /** read(fd, buf, count) into user memory: bytes read or a negative errno. */
  read?(file: OpenFile, task: Task, buf: number, count: number): number;
}

export class OpenFile {
  refs = 1;
  constructor(
    readonly ctx: MmContext,
    readonly path: string,
    readonly mapping: AddressSpace | null,
    readonly dev: CharDevice | null,
    /** file->private_data. */
    readonly priv: unknown,
  ) {}

  /** What mmap() of this file maps. */
  mmapTarget(): MmapTarget {
    if (this.dev) {
      const dev = this.dev;
      return {
        mapping: null,
        ops: { name: `${dev.path} vm_ops` },
        mmapHook: (vma) => dev.mmap?.(this, vma) ?? -19,
      };
    }
    const as = this.mapping!;
    return {
      mapping: as,
      ops: {
        name: 'shmem_vm_ops',
        fault: (index) => (index * 4096 < as.size ? shmemPage(this.ctx, as, index) : -1),
      },
    };
  }

  /** fput(). */
  put(): void {
    if (--this.refs > 0) return;
    if (this.dev) this.dev.release(this);
    else if (this.mapping && this.mapping.vmas.size === 0) shmemEvict(this.ctx, this.mapping);
  }
}

import { shmemGetPage as shmemPage } from '../mm/shmem.js';
