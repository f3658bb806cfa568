/**
 * Port of tools/testing/selftests/mm/hmm-tests.c (TEST-BASE), test by test.
 * Each body follows the C steps and asserts what the C asserts. The bodies
 * live in this file and in tests-anon.ts, tests-multi.ts and tests-device.ts;
 * TESTS lists all 28 TEST_Fs in the C file's order.
 */

import * as U from '../../drivers/test-hmm-uapi.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE } from '../../mm/mmap.js';
import {
  anonBuffer,
  check,
  EFAULT,
  EINVAL,
  ENOENT,
  EPERM,
  fill,
  HMM_BUFFER_SIZE,
  io as ioOf,
} from './common.js';
import { ALIGN, ASSERT_EQ, ASSERT_NE, hmm_buffer_free, hmm_dmirror_cmd, type TestCtx } from './harness.js';
import { ANON_TESTS } from './tests-anon.js';
import { DEVICE_TESTS } from './tests-device.js';
import { MULTI_TESTS } from './tests-multi.js';

export interface HmmTest {
  fixture: 'hmm' | 'hmm2';
  name: string;
  body(t: TestCtx): void;
}

const io = (t: TestCtx) => {
  const i = ioOf(t);
  return {
    ...i,
    TO_DEV: i.MIGRATE_TO_DEV,
    TO_SYS: i.MIGRATE_TO_SYS,
    EXCL: i.EXCLUSIVE,
    CHECK: i.CHECK_EXCLUSIVE,
  };
};

const BASE_TESTS: HmmTest[] = [
  { fixture: 'hmm', name: 'open_close', body: () => {} },
  {
    fixture: 'hmm',
    name: 'anon_read',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      // Initialize buffer in system memory but leave the first two pages zero.
      for (let i = (2 * t.page_size) / 4; i < size / 4; i++) t.s.setI32(b.ptr + 4 * i, i);
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_READ), 0);
      // Fault in the second page by reading it: the zero page.
      const val = t.s.getI32(b.ptr + t.page_size);
      ASSERT_EQ(val, 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).READ, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      let i = 0;
      for (; i < (2 * t.page_size) / 4; i++) ASSERT_EQ(t.s.getI32(b.mirror + 4 * i), 0);
      for (; i < size / 4; i++) ASSERT_EQ(t.s.getI32(b.mirror + 4 * i), i);
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'anon_read_prot',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      fill(t.s, b.mirror, size / 4, (i) => -i);
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_NONE), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).READ, b, npages), -EFAULT);
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_READ), 0);
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      check(t.s, b.mirror, size / 4, (i) => -i, 'mirror');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'anon_write',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.mirror, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'anon_write_prot',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size, PROT_READ);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).READ, b, 1), 0);
      ASSERT_EQ(b.cpages, 1);
      ASSERT_EQ(b.faults, 1);
      fill(t.s, b.mirror, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), -EPERM);
      check(t.s, b.ptr, size / 4, () => 0, 'ptr');
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_WRITE | PROT_READ), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'migrate',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'migrate_fault',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      // Fault half the pages back to system memory and check them.
      check(t.s, b.ptr, size / (2 * 4), (i) => i, 'ptr');
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'migrate_release',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).RELEASE, b, npages), 0);
      check(t.s, b.ptr, size / (2 * 4), (i) => i, 'ptr');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'migrate_shared',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).TO_DEV, b, npages), -ENOENT);
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm2',
    name: 'migrate_mixed',
    body: (t) => {
      const npages = 6;
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size, PROT_NONE);
      const p = b.ptr;
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd1, io(t).TO_DEV, b, npages), -EINVAL);
      ASSERT_EQ(t.s.munmap(b.ptr + t.page_size, t.page_size), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd1, io(t).TO_DEV, b, 3), -EINVAL);
      ASSERT_EQ(t.s.mprotect(b.ptr + 2 * t.page_size, t.page_size, PROT_READ), 0);
      // val = *ptr + 3 with ptr at page 2: the zero page reads 0.
      const val = t.s.getI32(b.ptr + 2 * t.page_size) + 3;
      ASSERT_EQ(val, 3);
      ASSERT_EQ(t.s.mprotect(b.ptr + 3 * t.page_size, t.page_size, PROT_READ | PROT_WRITE), 0);
      t.s.setI32(b.ptr + 3 * t.page_size, val);
      ASSERT_EQ(t.s.mprotect(b.ptr + 3 * t.page_size, t.page_size, PROT_READ), 0);
      ASSERT_EQ(t.s.mprotect(b.ptr + 4 * t.page_size, 2 * t.page_size, PROT_READ | PROT_WRITE), 0);
      t.s.setI32(b.ptr + 4 * t.page_size, val);
      t.s.setI32(b.ptr + 5 * t.page_size, val);
      b.ptr = p + 2 * t.page_size;
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd1, io(t).TO_DEV, b, 4), 0);
      ASSERT_EQ(b.cpages, 4);
      b.ptr = p + 5 * t.page_size;
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd0, io(t).TO_DEV, b, 1), -ENOENT);
      b.ptr = p;
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm2',
    name: 'snapshot',
    body: (t) => {
      const npages = 7;
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, npages);
      const p = b.ptr;
      const ps = t.page_size;
      ASSERT_EQ(t.s.munmap(p + ps, ps), 0);
      ASSERT_EQ(t.s.mprotect(p + 2 * ps, ps, PROT_READ), 0);
      const val = t.s.getI32(p + 2 * ps) + 3;
      ASSERT_EQ(val, 3);
      ASSERT_EQ(t.s.mprotect(p + 3 * ps, ps, PROT_READ | PROT_WRITE), 0);
      t.s.setI32(p + 3 * ps, val);
      ASSERT_EQ(t.s.mprotect(p + 3 * ps, ps, PROT_READ), 0);
      ASSERT_EQ(t.s.mprotect(p + 4 * ps, 3 * ps, PROT_READ | PROT_WRITE), 0);
      t.s.setI32(p + 4 * ps, val);
      b.ptr = p + 5 * ps;
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd0, io(t).TO_DEV, b, 1), 0);
      ASSERT_EQ(b.cpages, 1);
      b.ptr = p + 6 * ps;
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd1, io(t).TO_DEV, b, 1), 0);
      ASSERT_EQ(b.cpages, 1);
      b.ptr = p;
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd0, io(t).SNAPSHOT, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      const m = (i: number): number => t.s.getU8(b.mirror + i);
      ASSERT_EQ(m(0), U.HMM_DMIRROR_PROT_ERROR);
      ASSERT_EQ(m(1), U.HMM_DMIRROR_PROT_ERROR);
      ASSERT_EQ(m(2), U.HMM_DMIRROR_PROT_ZERO | U.HMM_DMIRROR_PROT_READ);
      ASSERT_EQ(m(3), U.HMM_DMIRROR_PROT_READ);
      ASSERT_EQ(m(4), U.HMM_DMIRROR_PROT_WRITE);
      if (t.variant === 'private') {
        ASSERT_EQ(m(5), U.HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL | U.HMM_DMIRROR_PROT_WRITE);
        ASSERT_EQ(m(6), U.HMM_DMIRROR_PROT_NONE);
      } else {
        ASSERT_EQ(m(5), U.HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL | U.HMM_DMIRROR_PROT_WRITE);
        ASSERT_EQ(m(6), U.HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE | U.HMM_DMIRROR_PROT_WRITE);
      }
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm2',
    name: 'double_map',
    body: (t) => {
      const npages = 6;
      const size = npages << t.page_shift;
      // mirror = malloc(npages): 6 bytes that the reads overrun by 24 KiB (a C test
      // bug; the bytes land in the brk heap as they do under glibc).
      const b = anonBuffer(t, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, npages);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_READ), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd0, io(t).READ, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd1, io(t).READ, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd1, io(t).TO_DEV, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd0, io(t).READ, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'exclusive',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const b = anonBuffer(t, size);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).EXCL, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      for (let i = 0; i < size / 4; i++) {
        const v = t.s.getI32(b.ptr + 4 * i);
        t.s.setI32(b.ptr + 4 * i, v + 1);
        ASSERT_EQ(v, i);
      }
      check(t.s, b.ptr, size / 4, (i) => i + 1, 'ptr');
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).CHECK, b, npages), 0);
      hmm_buffer_free(t.s, b);
    },
  },
];

/** hmm-tests.c's TEST_F order. */
const ORDER = [
  'open_close',
  'anon_read',
  'anon_read_prot',
  'anon_write',
  'anon_write_prot',
  'anon_write_child',
  'anon_write_child_shared',
  'anon_write_huge',
  'anon_write_hugetlbfs',
  'file_read',
  'file_write',
  'migrate',
  'migrate_fault',
  'migrate_release',
  'migrate_shared',
  'migrate_mixed',
  'migrate_multiple',
  'anon_read_multiple',
  'anon_teardown',
  'mixedmap',
  'snapshot',
  'compound',
  'double_map',
  'exclusive',
  'exclusive_mprotect',
  'exclusive_cow',
  'hmm_gup_test',
  'hmm_cow_in_device',
];

const ALL = [...BASE_TESTS, ...ANON_TESTS, ...MULTI_TESTS, ...DEVICE_TESTS];
export const TESTS: HmmTest[] = ORDER.map((name) => {
  const t = ALL.find((x) => x.name === name);
  if (!t) throw new Error(`hmm-tests port: TEST_F ${name} missing`);
  return t;
});
