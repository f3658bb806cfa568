/**
 * hmm-tests.c: exclusive_mprotect, exclusive_cow, hmm_gup_test,
 * hmm_cow_in_device.
 */
import * as G from '../../drivers/gup-test.js';
import * as U from '../../drivers/test-hmm-uapi.js';
import { O_RDWR, type Syscalls } from '../../kernel/syscalls.js';
import { SIGTERM, WIFSIGNALED, WTERMSIG } from '../../kernel/task.js';
import { PROT_READ } from '../../mm/mmap.js';
import { anonBuffer, check, EPERM, fill, HMM_BUFFER_SIZE, io } from './common.js';
import {
  ALIGN,
  ASSERT_EQ,
  ASSERT_NE,
  EXPECT_EQ,
  EXPECT_NE,
  type HmmBuffer,
  hmm_buffer_free,
  hmm_dmirror_cmd,
  SKIP,
  type TestCtx,
} from './harness.js';
import type { HmmTest } from './tests.js';

/** hmm-tests.c's own copies of the FOLL_ flags: TEST-BASE's FOLL_LONGTERM is the stale 0x10000. */
const FOLL_WRITE = 0x01;
const FOLL_LONGTERM = 0x10000;

/** gup_test_exec(): one struct gup_test ioctl; errno on failure, else 0. */
function gup_test_exec(
  s: Syscalls,
  gup_fd: number,
  addr: number,
  cmd: number,
  npages: number,
  size: number,
  flags: number,
): number {
  // struct gup_test gup is a local of the caller: on the stack (here a heap block).
  const gup = s.malloc(G.GUP_TEST_SIZE);
  s.memset(gup, 0, G.GUP_TEST_SIZE);
  const put64 = (off: number, v: number): void => {
    s.setI32(gup + off, (v % 2 ** 32) | 0);
    s.setI32(gup + off + 4, Math.floor(v / 2 ** 32) | 0);
  };
  put64(16, addr);
  put64(24, size);
  s.setI32(gup + 32, npages);
  s.setI32(gup + 36, FOLL_WRITE | flags);
  const r = s.ioctl(gup_fd, cmd, gup);
  return r < 0 ? -r : 0;
}

/** Fault pages back from exclusive entries and check them: ASSERT_EQ(ptr[i]++, i), then ptr[i] == i+1. */
function incrementAll(s: Syscalls, b: HmmBuffer, size: number): void {
  for (let i = 0; i < size / 4; ++i) {
    const v = s.getI32(b.ptr + 4 * i);
    s.setI32(b.ptr + 4 * i, v + 1);
    ASSERT_EQ(v, i, `ptr[${i}]++`);
  }
  check(s, b.ptr, size / 4, (i) => i + 1, 'ptr');
}

function sizeOf(t: TestCtx): { npages: number; size: number } {
  const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
  ASSERT_NE(npages, 0);
  return { npages, size: npages << t.page_shift };
}

export const DEVICE_TESTS: HmmTest[] = [
  {
    fixture: 'hmm',
    name: 'exclusive_mprotect',
    body: (t) => {
      const { npages, size } = sizeOf(t);
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).EXCLUSIVE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_READ), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), -EPERM);
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'exclusive_cow',
    body: (t) => {
      const { npages, size } = sizeOf(t);
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).EXCLUSIVE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      // fork(): the result is ignored, parent and child both run the rest of the
      // test (and the child then the fixture teardown: close(self->fd) == 0).
      const rest = (s: Syscalls): void => {
        incrementAll(s, b, size);
        hmm_buffer_free(s, b);
      };
      t.s.fork((cs) => {
        rest(cs);
        ASSERT_EQ(cs.close(t.fd), 0);
        return 0;
      });
      rest(t.s);
    },
  },
  {
    fixture: 'hmm',
    name: 'hmm_gup_test',
    // GUP on device pages through mm/gup_test.c; FOLL_LONGTERM pins must move pages to RAM.
    body: (t) => {
      const gup_fd = t.s.open('/sys/kernel/debug/gup_test', O_RDWR);
      if (gup_fd < 0) SKIP('Skipping test, could not find gup_test driver');
      const npages = 4;
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).MIGRATE_TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      const ps = t.page_size;
      ASSERT_EQ(gup_test_exec(t.s, gup_fd, b.ptr, G.GUP_BASIC_TEST, 1, ps, 0), 0);
      ASSERT_EQ(gup_test_exec(t.s, gup_fd, b.ptr + 1 * ps, G.GUP_FAST_BENCHMARK, 1, ps, 0), 0);
      ASSERT_EQ(gup_test_exec(t.s, gup_fd, b.ptr + 2 * ps, G.PIN_FAST_BENCHMARK, 1, ps, FOLL_LONGTERM), 0);
      ASSERT_EQ(gup_test_exec(t.s, gup_fd, b.ptr + 3 * ps, G.PIN_LONGTERM_BENCHMARK, 1, ps, 0), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).SNAPSHOT, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      const m = (i: number): number => t.s.getU8(b.mirror + i);
      if (t.device_number >= 2) {
        ASSERT_EQ(U.HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL | U.HMM_DMIRROR_PROT_WRITE, m(0), 'm[0]');
        ASSERT_EQ(U.HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL | U.HMM_DMIRROR_PROT_WRITE, m(1), 'm[1]');
      } else {
        ASSERT_EQ(U.HMM_DMIRROR_PROT_WRITE, m(0), 'm[0]');
        ASSERT_EQ(U.HMM_DMIRROR_PROT_WRITE, m(1), 'm[1]');
      }
      ASSERT_EQ(U.HMM_DMIRROR_PROT_WRITE, m(2), 'm[2]');
      ASSERT_EQ(U.HMM_DMIRROR_PROT_WRITE, m(3), 'm[3]');
      // Check again the content on the pages: no corrupted data.
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      t.s.close(gup_fd);
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'hmm_cow_in_device',
    // Copy-on-write of device pages: the parent's writes end on system pages.
    body: (t) => {
      const npages = 4;
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).MIGRATE_TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      // The child spins (while (1) {}) until the parent's SIGTERM.
      const pid = t.s.fork();
      if (pid === -1) ASSERT_EQ(pid, 0);
      fill(t.s, b.ptr, size / 4, (i) => i);
      EXPECT_EQ(t, 0, t.s.kill(pid, SIGTERM), 'kill');
      const w = t.s.waitpid(pid);
      EXPECT_EQ(t, pid, w.pid, 'waitpid');
      EXPECT_NE(t, 0, WIFSIGNALED(w.status) ? 1 : 0, 'WIFSIGNALED');
      EXPECT_EQ(t, SIGTERM, WTERMSIG(w.status), 'WTERMSIG');
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).SNAPSHOT, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      for (let i = 0; i < npages; i++)
        ASSERT_EQ(U.HMM_DMIRROR_PROT_WRITE, t.s.getU8(b.mirror + i), `m[${i}]`);
      hmm_buffer_free(t.s, b);
    },
  },
];
