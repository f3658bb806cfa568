/**
 * What every hmm-tests.c TEST_F shares: the constants of the C file, the
 * ioctl numbers of the profile's test_hmm_uapi.h, and the loops the C writes
 * out each time (`for (i = 0, ptr = …; i < n; ++i) ptr[i] = f(i)` and the
 * ASSERT_EQ loop that checks them).
 */
import type { Syscalls } from '../../kernel/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../mm/mmap.js';
import { ASSERT_EQ, ASSERT_NE, type HmmBuffer, newBuffer, type TestCtx } from './harness.js';

export const TWOMEG = 1 << 21;
export const HMM_BUFFER_SIZE = 1024 << 12;
export const NTIMES = 10;
export const EPERM = 1;
export const ENOENT = 2;
export const EFAULT = 14;
export const EINVAL = 22;
/** What the model's mmap returns on failure is a negative errno; C compares with MAP_FAILED. */
export const MAP_FAILED = -1;

export interface Ioctls {
  READ: number;
  WRITE: number;
  MIGRATE_TO_DEV: number;
  MIGRATE_TO_SYS: number;
  SNAPSHOT: number;
  EXCLUSIVE: number;
  CHECK_EXCLUSIVE: number;
  RELEASE: number;
}

/** HMM_DMIRROR_* request numbers (their low byte; hmm_dmirror_cmd builds the _IOWR). */
export function io(t: TestCtx): Ioctls {
  const i = t.sys.ctx.hmm.ioctls;
  return {
    READ: i.read,
    WRITE: i.write,
    MIGRATE_TO_DEV: i.migrateToDev,
    MIGRATE_TO_SYS: i.migrateToSys,
    SNAPSHOT: i.snapshot,
    EXCLUSIVE: i.exclusive,
    CHECK_EXCLUSIVE: i.checkExclusive,
    RELEASE: i.release ?? -1,
  };
}

/** mmap()'s result as C sees it: MAP_FAILED for any error. */
export function mapResult(p: number): number {
  return p < 0 ? MAP_FAILED : p;
}

/**
 * The prologue most tests share: buffer->fd = -1, size, mirror = malloc(size)
 * (ASSERT_NE NULL), ptr = mmap(NULL, size, prot, flags, -1, 0) (ASSERT_NE MAP_FAILED).
 */
export function anonBuffer(
  t: TestCtx,
  size: number,
  prot = PROT_READ | PROT_WRITE,
  flags = MAP_PRIVATE | MAP_ANONYMOUS,
  mirrorSize = size,
): HmmBuffer {
  const b = newBuffer(size);
  b.fd = -1;
  b.size = size;
  b.mirror = t.s.malloc(mirrorSize);
  ASSERT_NE(b.mirror, 0, 'buffer->mirror != NULL');
  b.ptr = mapResult(t.s.mmap(0, size, prot, flags, b.fd, 0));
  ASSERT_NE(b.ptr, MAP_FAILED, 'buffer->ptr != MAP_FAILED');
  return b;
}

/** for (i = 0, ptr = va; i < n; ++i) ptr[i] = f(i); — page by page (one translation per page). */
export function fill(s: Syscalls, va: number, n: number, f: (i: number) => number): void {
  for (let i = 0; i < n; ) {
    const a = va + 4 * i;
    const v = s.userPageI32(a, true);
    const end = Math.min(n, i + (4096 - (a % 4096)) / 4);
    for (let k = (a % 4096) >> 2; i < end; i++, k++) v[k] = f(i);
  }
}

/** for (i = 0, ptr = va; i < n; ++i) ASSERT_EQ(ptr[i], f(i)); — page by page. */
export function check(s: Syscalls, va: number, n: number, f: (i: number) => number, what: string): void {
  for (let i = 0; i < n; ) {
    const a = va + 4 * i;
    const v = s.userPageI32(a, false);
    const end = Math.min(n, i + (4096 - (a % 4096)) / 4);
    for (let k = (a % 4096) >> 2; i < end; i++, k++) {
      const e = f(i) | 0;
      if (v[k] !== e) ASSERT_EQ(v[k], e, `${what}[${i}]`);
    }
  }
}
