/**
 * mm/gup_test.c (a driver-like test module, hence src/drivers): the debugfs file /sys/kernel/debug/gup_test
 * (CONFIG_GUP_TEST) whose ioctls run get_user_pages / pin_user_pages on the
 * caller's memory and drop the pages again; hmm-tests' hmm_gup_test uses it
 * to see what GUP does to device pages.
 *
 * struct gup_test (mm/gup_test.h), 80 bytes little endian:
 *   0 u64 get_delta_usec   8 u64 put_delta_usec   16 u64 addr   24 u64 size
 *   32 u32 nr_pages_per_call   36 u32 gup_flags   40 u32 test_flags
 *   44 u32 which_pages[8]      76 (4 bytes of tail padding)
 * Commands: _IOWR('g', nr, struct gup_test) with nr 1 GUP_FAST_BENCHMARK,
 * 2 PIN_FAST_BENCHMARK, 3 PIN_LONGTERM_BENCHMARK, 4 GUP_BASIC_TEST,
 * 5 PIN_BASIC_TEST, 6 DUMP_USER_PAGES_TEST. (The PIN_LONGTERM_TEST_* commands
 * 7-9 are not modelled: -EINVAL like an unknown command.)
 *
 * As in the kernel, a GUP call that fails only ends the loop: the ioctl
 * still returns 0 (gup->size then tells how far it got).
 */
import { copyFromUser, copyToUser } from '../arch/x86/user-fault.js';
import type { CharDevice, OpenFile } from '../kernel/files.js';
import type { Task } from '../kernel/task.js';
import type { MmContext } from '../mm/context.js';
import { getUserPages, putUserPages } from '../mm/gup.js';
import { EFAULT, EINVAL } from '../mm/mmap.js';

export const GUP_TEST_SIZE = 80;
export const GUP_FAST_BENCHMARK = gupTestIoctl(1);
export const PIN_FAST_BENCHMARK = gupTestIoctl(2);
export const PIN_LONGTERM_BENCHMARK = gupTestIoctl(3);
export const GUP_BASIC_TEST = gupTestIoctl(4);
export const PIN_BASIC_TEST = gupTestIoctl(5);
export const DUMP_USER_PAGES_TEST = gupTestIoctl(6);

/** _IOWR('g', nr, struct gup_test). */
export function gupTestIoctl(nr: number): number {
  return ((3 << 30) | (GUP_TEST_SIZE << 16) | (0x67 << 8) | nr) >>> 0;
}

export class GupTestDevice implements CharDevice {
  readonly path = '/sys/kernel/debug/gup_test';
  constructor(readonly ctx: MmContext) {}

  open(): unknown {
    return null;
  }
  release(): void {}

  /** gup_test_ioctl() → __gup_test_ioctl(). */
  ioctl(_file: OpenFile, task: Task, cmd: number, arg: number): number {
    const ctx = this.ctx;
    const known = [
      GUP_FAST_BENCHMARK,
      PIN_FAST_BENCHMARK,
      PIN_LONGTERM_BENCHMARK,
      GUP_BASIC_TEST,
      PIN_BASIC_TEST,
      DUMP_USER_PAGES_TEST,
    ];
    if (!known.includes(cmd >>> 0)) return -EINVAL;
    const raw = copyFromUser(ctx, task.mm, arg, GUP_TEST_SIZE);
    if (!raw) return -EFAULT;
    const dv = new DataView(raw.buffer);
    const addr = Number(dv.getBigUint64(16, true));
    const size = Number(dv.getBigUint64(24, true));
    const perCall = dv.getUint32(32, true);
    const gupFlags = dv.getUint32(36, true);
    const end = addr + size;
    if (!Number.isSafeInteger(end)) return -EINVAL;
    const pin = cmd !== GUP_FAST_BENCHMARK && cmd !== GUP_BASIC_TEST && cmd !== DUMP_USER_PAGES_TEST;
    const flags = cmd === PIN_LONGTERM_BENCHMARK ? gupFlags | ctx.hmm.foll.longterm : gupFlags;
    const taken: number[] = [];
    let nr = perCall;
    let a = addr;
    for (; a < end; ) {
      if (nr !== perCall) break;
      let next = a + nr * 4096;
      if (next > end) {
        next = end;
        nr = (next - a) / 4096;
      }
      const r = getUserPages(ctx, task.mm, a, nr, flags, pin);
      taken.push(...r.pages);
      nr = r.pages.length ? r.pages.length : r.error;
      if (nr <= 0) break;
      a = next;
    }
    // gup->size = addr - gup->addr; then put_back_pages().
    dv.setBigUint64(24, BigInt(a - addr), true);
    putUserPages(ctx, taken, pin);
    return copyToUser(ctx, task.mm, arg, raw) ? 0 : -EFAULT;
  }
}
