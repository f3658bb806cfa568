/**
 * /proc/meminfo (fs/proc/meminfo.c meminfo_proc_show, with
 * hugetlb_report_meminfo() of mm/hugetlb.c): the lines the model can
 * fill — MemTotal/MemFree from the buddy allocator's zones and the hugetlb
 * pool of the default 2 MiB size (HugePages_Rsvd and _Surp stay 0: the model
 * checks reservations at mmap without holding them, and has no surplus pages).
 * Values are "%8lu kB" right aligned after a
 * 16-column label (show_val_kb), the HugePages_ counts "%5lu".
 */

import { copyToUser } from '../arch/x86/user-fault.js';
import type { MmContext } from '../mm/context.js';
import { HUGETLB_PAGE_SIZE } from '../mm/hugetlb.js';
import type { CharDevice, OpenFile } from './files.js';
import type { Task } from './task.js';

function kb(label: string, v: number): string {
  return `${label.padEnd(16)}${String(v).padStart(8)} kB`;
}

export function meminfoText(ctx: MmContext): string {
  const m = ctx.machine;
  let total = 0;
  for (const z of m.zones.zones) total += z.managedPages;
  let free = 0;
  for (const n of m.buddy.nrFreePages) free += n;
  const hugeTotal = ctx.hugetlbPages.size;
  const hugeFree = ctx.hugetlbFree.length;
  const hkb = HUGETLB_PAGE_SIZE / 1024;
  return [
    kb('MemTotal:', total * 4),
    kb('MemFree:', free * 4),
    `HugePages_Total:   ${String(hugeTotal).padStart(5)}`,
    `HugePages_Free:    ${String(hugeFree).padStart(5)}`,
    `HugePages_Rsvd:    ${String(0).padStart(5)}`,
    `HugePages_Surp:    ${String(0).padStart(5)}`,
    kb('Hugepagesize:', hkb),
    kb('Hugetlb:', hugeTotal * hkb),
    '',
  ].join('\n');
}

/** The proc file: each open() takes a snapshot (seq_file), read() advances f_pos. */
export class ProcMeminfo implements CharDevice {
  readonly path = '/proc/meminfo';
  constructor(readonly ctx: MmContext) {}
  open(): unknown {
    return { text: new TextEncoder().encode(meminfoText(this.ctx)), pos: 0 };
  }
  release(): void {}
  ioctl(): number {
    return -25; // -ENOTTY
  }
  read(file: OpenFile, task: Task, buf: number, count: number): number {
    const p = file.priv as { text: Uint8Array; pos: number };
    const chunk = p.text.subarray(p.pos, p.pos + count);
    if (!copyToUser(this.ctx, task.mm, buf, chunk)) return -14;
    p.pos += chunk.length;
    return chunk.length;
  }
}
