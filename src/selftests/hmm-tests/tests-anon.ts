/**
 * hmm-tests.c: anon_write_child, anon_write_child_shared, anon_write_huge,
 * anon_write_hugetlbfs, file_read, file_write.
 *
 * A forked child's ASSERT failure fails the test: since linux 6.9
 * kselftest_harness.h keeps _metadata in shared memory, so a child that
 * fails marks the whole test failed (the parent itself only checks
 * WIFEXITED).
 */
import { WIFEXITED } from '../../kernel/task.js';
import { MADV_HUGEPAGE } from '../../mm/madvise.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../mm/mmap.js';
import { anonBuffer, check, fill, HMM_BUFFER_SIZE, io, MAP_FAILED, mapResult, TWOMEG } from './common.js';
import {
  ALIGN,
  ASSERT_EQ,
  ASSERT_GE,
  ASSERT_NE,
  file_read_ulong,
  hmm_buffer_free,
  hmm_create_file,
  hmm_dmirror_cmd,
  hmm_open,
  newBuffer,
  SKIP,
  type TestCtx,
} from './harness.js';
import type { HmmTest } from './tests.js';

/** anon_write_child and anon_write_child_shared differ in the mapping and what the parent sees. */
function writeChild(t: TestCtx, flags: number, parentSees: (i: number) => number): void {
  const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
  ASSERT_NE(npages, 0);
  const size = npages << t.page_shift;
  const b = anonBuffer(t, size, PROT_READ | PROT_WRITE, flags);
  // Initialize buffer->ptr so we can tell if it is written.
  fill(t.s, b.ptr, size / 4, (i) => i);
  // Initialize data that the device will write to buffer->ptr.
  fill(t.s, b.mirror, size / 4, (i) => -i);
  const pid = t.s.fork((cs) => {
    // Check that we see the parent's values.
    check(cs, b.ptr, size / 4, (i) => i, 'child ptr');
    check(cs, b.mirror, size / 4, (i) => -i, 'child mirror');
    // The child process needs its own mirror to its own mm: always device 0.
    const child_fd = hmm_open(cs, 0);
    ASSERT_GE(child_fd, 0);
    const ret = hmm_dmirror_cmd(cs, child_fd, io(t).WRITE, b, npages);
    ASSERT_EQ(ret, 0);
    ASSERT_EQ(b.cpages, npages);
    ASSERT_EQ(b.faults, 1);
    check(cs, b.ptr, size / 4, (i) => -i, 'child ptr after WRITE');
    cs.close(child_fd);
    cs.exit(0);
  });
  if (pid === -1) ASSERT_EQ(pid, 0);
  const w = t.s.waitpid(pid);
  ASSERT_EQ(WIFEXITED(w.status) ? 1 : 0, 1);
  check(t.s, b.ptr, size / 4, parentSees, 'parent ptr');
}

export const ANON_TESTS: HmmTest[] = [
  {
    fixture: 'hmm',
    name: 'anon_write_child',
    // Check that a device writing an anonymous private mapping copies on write in the child.
    body: (t) => writeChild(t, MAP_PRIVATE | MAP_ANONYMOUS, (i) => i),
  },
  {
    fixture: 'hmm',
    name: 'anon_write_child_shared',
    // A shared mapping is not copied: the parent sees the child's device write.
    body: (t) => writeChild(t, MAP_SHARED | MAP_ANONYMOUS, (i) => -i),
  },
  {
    fixture: 'hmm',
    name: 'anon_write_huge',
    body: (t) => {
      let size = 2 * TWOMEG;
      const b = anonBuffer(t, size);
      size = TWOMEG;
      const npages = size >> t.page_shift;
      const map = ALIGN(b.ptr, size);
      const ret = t.s.madvise(map, size, MADV_HUGEPAGE);
      ASSERT_EQ(ret, 0);
      const old_ptr = b.ptr;
      b.ptr = map;
      fill(t.s, b.mirror, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      b.ptr = old_ptr;
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'anon_write_hugetlbfs',
    body: (t) => {
      // default_hsize is unsigned long: -1 is ULONG_MAX, and ULONG_MAX * 1024 wraps below it.
      let default_hsize = file_read_ulong(t.s, '/proc/meminfo', 'Hugepagesize:');
      if (default_hsize < 0) SKIP('Huge page size could not be determined');
      default_hsize = default_hsize * 1024;
      const size = ALIGN(TWOMEG, default_hsize);
      const npages = size >> t.page_shift;
      const b = newBuffer(size);
      b.ptr = mapResult(
        t.s.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0),
      );
      if (b.ptr === MAP_FAILED) SKIP('Huge page could not be allocated');
      b.fd = -1;
      b.size = size;
      b.mirror = t.s.malloc(size);
      ASSERT_NE(b.mirror, 0);
      fill(t.s, b.mirror, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      t.s.munmap(b.ptr, b.size);
      b.ptr = 0;
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'file_read',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const fd = hmm_create_file(t.s, size);
      ASSERT_GE(fd, 0);
      const b = newBuffer(size);
      b.fd = fd;
      b.size = size;
      b.mirror = t.s.malloc(size);
      ASSERT_NE(b.mirror, 0);
      // Write initial contents of the file.
      fill(t.s, b.mirror, size / 4, (i) => i);
      const len = t.s.pwrite(fd, b.mirror, size, 0);
      ASSERT_EQ(len, size);
      t.s.memset(b.mirror, 0, size);
      b.ptr = mapResult(t.s.mmap(0, size, PROT_READ, MAP_SHARED, b.fd, 0));
      ASSERT_NE(b.ptr, MAP_FAILED);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).READ, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'file_write',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      const fd = hmm_create_file(t.s, size);
      ASSERT_GE(fd, 0);
      const b = newBuffer(size);
      b.fd = fd;
      b.size = size;
      b.mirror = t.s.malloc(size);
      ASSERT_NE(b.mirror, 0);
      b.ptr = mapResult(t.s.mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED, b.fd, 0));
      ASSERT_NE(b.ptr, MAP_FAILED);
      fill(t.s, b.mirror, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).WRITE, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(b.faults, 1);
      check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
      // Check that the device also wrote the file.
      const len = t.s.pread(fd, b.mirror, size, 0);
      ASSERT_EQ(len, size);
      check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
      hmm_buffer_free(t.s, b);
    },
  },
];
