/**
 * A kselftest_harness-shaped runner for the port of
 * tools/testing/selftests/mm/hmm-tests.c: FIXTURE(hmm) / FIXTURE(hmm2) with
 * the device_private and device_coherent variants, ASSERT_* that stop the
 * test, SKIP, and the helpers of the C file (hmm_buffer, hmm_dmirror_cmd,
 * hmm_create_file, ...) over the model's syscall-shaped API.
 */

import { GupTestDevice } from '../../drivers/gup-test.js';
import { DmirrorDriver } from '../../drivers/test-hmm.js';
import { hmmIoctl } from '../../drivers/test-hmm-uapi.js';
import { bootMmContext } from '../../kernel/boot-mm.js';
import { ProcMeminfo } from '../../kernel/proc-meminfo.js';
import { Syscalls, type System } from '../../kernel/syscalls.js';
import { Tasks } from '../../kernel/task.js';
import { hugetlbSetPool } from '../../mm/hugetlb.js';
import type { KernelProfile } from '../../profiles/types.js';

export class AssertionFailed extends Error {}
export class Skipped extends Error {}

export interface TestCtx {
  s: Syscalls;
  sys: System;
  driver: DmirrorDriver;
  fd: number;
  fd0: number;
  fd1: number;
  page_size: number;
  page_shift: number;
  variant: 'private' | 'coherent';
  device_number: number;
  device_number0: number;
  device_number1: number;
  /** EXPECT_* failures: the test goes on and is reported as failed at the end. */
  failures: string[];
}

export function ASSERT_EQ(a: unknown, b: unknown, what = ''): void {
  if (a !== b) throw new AssertionFailed(`ASSERT_EQ(${String(a)}, ${String(b)}) ${what}`);
}
export function ASSERT_NE(a: unknown, b: unknown, what = ''): void {
  if (a === b) throw new AssertionFailed(`ASSERT_NE(${String(a)}, ${String(b)}) ${what}`);
}
export function ASSERT_GE(a: number, b: number, what = ''): void {
  if (!(a >= b)) throw new AssertionFailed(`ASSERT_GE(${a}, ${b}) ${what}`);
}
/** EXPECT_EQ / EXPECT_NE: record the failure, keep running (kselftest_harness.h). */
export function EXPECT_EQ(t: TestCtx, a: unknown, b: unknown, what = ''): void {
  if (a !== b) t.failures.push(`EXPECT_EQ(${String(a)}, ${String(b)}) ${what}`);
}
export function EXPECT_NE(t: TestCtx, a: unknown, b: unknown, what = ''): void {
  if (a === b) t.failures.push(`EXPECT_NE(${String(a)}, ${String(b)}) ${what}`);
}
export function SKIP(msg: string): never {
  throw new Skipped(msg);
}

/** A booted model with hmm_dmirror0..3 (SPM addresses given, so 2 and 3 are coherent) and gup_test. */
export function bootHmmSystem(profile: KernelProfile): { sys: System; driver: DmirrorDriver } {
  const ctx = bootMmContext({ profile, ramMiB: 1024 });
  hugetlbSetPool(ctx, 1);
  const tasks = new Tasks(ctx);
  const sys: System = { ctx, tasks, devices: new Map() };
  const driver = new DmirrorDriver(ctx, { spmAddrDev0: 0x200000000, spmAddrDev1: 0x210000000 });
  for (const d of driver.init()) sys.devices.set(d.path, d);
  // CONFIG_GUP_TEST's debugfs file and procfs' meminfo, which hmm-tests open.
  const gup = new GupTestDevice(ctx);
  sys.devices.set(gup.path, gup);
  const meminfo = new ProcMeminfo(ctx);
  sys.devices.set(meminfo.path, meminfo);
  return { sys, driver };
}

/** struct hmm_buffer. */
export interface HmmBuffer {
  ptr: number;
  mirror: number;
  size: number;
  fd: number;
  cpages: number;
  faults: number;
}

export function newBuffer(size: number): HmmBuffer {
  return { ptr: 0, mirror: 0, size, fd: -1, cpages: 0, faults: 0 };
}

/** hmm_open(). */
export function hmm_open(s: Syscalls, unit: number): number {
  return s.open(`/dev/hmm_dmirror${unit}`, 2);
}

/** hmm_dmirror_cmd(): the 40-byte command block lives in the process's memory. */
export function hmm_dmirror_cmd(
  s: Syscalls,
  fd: number,
  nr: number,
  buffer: HmmBuffer,
  npages: number,
): number {
  // `struct hmm_dmirror_cmd cmd` is a local: it lives on the process stack.
  const cmd = stackOf(s);
  const put = (off: number, v: number): void => {
    s.setI32(cmd + off, (v % 2 ** 32) | 0);
    s.setI32(cmd + off + 4, Math.floor(v / 2 ** 32) | 0);
  };
  put(0, buffer.ptr);
  put(8, buffer.mirror);
  put(16, npages);
  put(24, 0);
  put(32, 0);
  let ret: number;
  do ret = s.ioctl(fd, hmmIoctl(nr), cmd);
  while (ret === -4);
  if (ret === 0) {
    buffer.cpages = (s.getI32(cmd + 24) >>> 0) + (s.getI32(cmd + 28) >>> 0) * 2 ** 32;
    buffer.faults = (s.getI32(cmd + 32) >>> 0) + (s.getI32(cmd + 36) >>> 0) * 2 ** 32;
  }
  return ret;
}

const stacks = new WeakMap<Syscalls, number>();
/** The process's stack page (mapped once, like the main thread's stack VMA). */
function stackOf(s: Syscalls): number {
  let st = stacks.get(s);
  if (st === undefined) {
    st = s.mmap(0, 8 * 4096, 3, 0x22);
    stacks.set(s, st);
  }
  return st + 4096;
}

/** hmm_buffer_free(). */
export function hmm_buffer_free(s: Syscalls, buffer: HmmBuffer): void {
  if (buffer.ptr) s.munmap(buffer.ptr, buffer.size);
  s.free(buffer.mirror);
}

/** hmm_create_file(): O_TMPFILE in /tmp, ftruncate(size). */
export function hmm_create_file(s: Syscalls, size: number): number {
  const fd = s.open('/tmp', 0o20200000 | 0o200 | 2);
  if (fd >= 0) s.ftruncate(fd, size);
  return fd;
}

/** A new root process for one test run. */
export function newProcess(sys: System): Syscalls {
  const s = new Syscalls(sys, sys.tasks.spawn(true));
  stackOf(s);
  return s;
}

/**
 * file_read_ulong(file, tag): read up to 2048 bytes, find `tag`, strtol() the
 * number after it, which must be followed by a space; -1 on any failure.
 */
export function file_read_ulong(s: Syscalls, file: string, tag: string | null): number {
  const fd = s.open(file, 0);
  if (fd < 0) return -1;
  const buf = s.malloc(2048);
  const len = s.read(fd, buf, 2048);
  s.close(fd);
  if (len < 0 || len === 2048) {
    s.free(buf);
    return -1;
  }
  let text = '';
  for (let i = 0; i < len; i++) text += String.fromCharCode(s.getU8(buf + i));
  s.free(buf);
  let p = 0;
  if (tag) {
    const at = text.indexOf(tag);
    if (at < 0) return -1;
    p = at + tag.length;
  }
  const m = /^\s*([+-]?\d+)/.exec(text.slice(p));
  if (!m) return -1;
  const q = p + m[0].length;
  if (text[q] !== ' ') return -1;
  return Number(m[1]);
}

/** hmm_random(): 4 bytes of /dev/urandom — here the model's seeded PRNG (deterministic runs). */
export function hmm_random(s: Syscalls): number {
  return s.ctx.rng.nextU32();
}

/**
 * pthread_create() of a thread that first sleeps `ns` (hmm_nanosleep) and
 * then runs `fn`. The model is single-threaded and has no clock for kernel
 * work: the thread gets in where the running ioctl drops mmap_lock (the only
 * points where its munmap can take the lock for writing), one such point per
 * microsecond of sleep, or at pthread_join() when the ioctl finished first.
 * The scale is a modelling choice, not a measured cost: with anon_teardown's
 * 0-32 µs and a 1024-page READ (16 hmm_range_fault chunks, one unlock each)
 * about half the runs unmap mid-read (-EFAULT) and half after it (0), the two
 * outcomes the C test accepts.
 */
export function pthread_create(s: Syscalls, ns: number, fn: () => void): { join(): void } {
  return s.ctx.queueThread(Math.floor(ns / 1000), fn);
}

/** ALIGN(x, a). */
export function ALIGN(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
