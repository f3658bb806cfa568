/**
 * hmm-tests.c: migrate_multiple, anon_read_multiple, anon_teardown, mixedmap,
 * compound.
 */
import * as U from '../../drivers/test-hmm-uapi.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../mm/mmap.js';
import {
  anonBuffer,
  check,
  fill,
  HMM_BUFFER_SIZE,
  io,
  MAP_FAILED,
  mapResult,
  NTIMES,
  TWOMEG,
} from './common.js';
import {
  ALIGN,
  ASSERT_EQ,
  ASSERT_NE,
  file_read_ulong,
  hmm_buffer_free,
  hmm_dmirror_cmd,
  hmm_random,
  newBuffer,
  pthread_create,
  SKIP,
} from './harness.js';
import type { HmmTest } from './tests.js';

export const MULTI_TESTS: HmmTest[] = [
  {
    fixture: 'hmm',
    name: 'migrate_multiple',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      for (let c = 0; c < NTIMES; c++) {
        const b = anonBuffer(t, size);
        fill(t.s, b.ptr, size / 4, (i) => i);
        ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).MIGRATE_TO_DEV, b, npages), 0);
        ASSERT_EQ(b.cpages, npages);
        check(t.s, b.mirror, size / 4, (i) => i, 'mirror');
        // Coherent memory never faults: migrate it back explicitly.
        if (t.device_number >= 2) {
          ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).MIGRATE_TO_SYS, b, npages), 0);
          ASSERT_EQ(b.cpages, npages);
        }
        check(t.s, b.ptr, size / 4, (i) => i, 'ptr');
        hmm_buffer_free(t.s, b);
      }
    },
  },
  {
    fixture: 'hmm',
    name: 'anon_read_multiple',
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      for (let c = 0; c < NTIMES; c++) {
        const b = anonBuffer(t, size);
        fill(t.s, b.ptr, size / 4, (i) => i + c);
        ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).READ, b, npages), 0);
        ASSERT_EQ(b.cpages, npages);
        ASSERT_EQ(b.faults, 1);
        check(t.s, b.mirror, size / 4, (i) => i + c, 'mirror');
        hmm_buffer_free(t.s, b);
      }
    },
  },
  {
    fixture: 'hmm',
    name: 'anon_teardown',
    // Try reading anonymous memory while another thread unmaps its second half.
    body: (t) => {
      const npages = ALIGN(HMM_BUFFER_SIZE, t.page_size) >> t.page_shift;
      ASSERT_NE(npages, 0);
      const size = npages << t.page_shift;
      for (let c = 0; c < NTIMES; ++c) {
        const b = anonBuffer(t, size);
        fill(t.s, b.ptr, size / 4, (i) => i + c);
        // unmap_buffer(): sleep hmm_random() % 32000 ns, munmap the second half, ptr = NULL.
        const thread = pthread_create(t.s, hmm_random(t.s) % 32000, () => {
          t.s.munmap(b.ptr + b.size / 2, b.size / 2);
          b.ptr = 0;
        });
        const rc = hmm_dmirror_cmd(t.s, t.fd, io(t).READ, b, npages);
        if (rc === 0) {
          ASSERT_EQ(b.cpages, npages);
          ASSERT_EQ(b.faults, 1);
          check(t.s, b.mirror, size / 4, (i) => i + c, 'mirror');
        }
        thread.join();
        hmm_buffer_free(t.s, b);
      }
    },
  },
  {
    fixture: 'hmm',
    name: 'mixedmap',
    // Snapshot a private mapping of the dmirror device file itself (VM_MIXEDMAP).
    body: (t) => {
      const npages = 1;
      const size = npages << t.page_shift;
      const b = newBuffer(size);
      b.fd = -1;
      b.size = size;
      b.mirror = t.s.malloc(npages);
      ASSERT_NE(b.mirror, 0);
      b.ptr = mapResult(t.s.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, t.fd, 0));
      ASSERT_NE(b.ptr, MAP_FAILED);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).SNAPSHOT, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      ASSERT_EQ(t.s.getU8(b.mirror), U.HMM_DMIRROR_PROT_READ, 'm[0]');
      hmm_buffer_free(t.s, b);
    },
  },
  {
    fixture: 'hmm',
    name: 'compound',
    // The HMM_PFN_PMD order of a hugetlbfs page mapped by a PMD.
    body: (t) => {
      let default_hsize = file_read_ulong(t.s, '/proc/meminfo', 'Hugepagesize:');
      if (default_hsize < 0) SKIP('Huge page size could not be determined');
      default_hsize = default_hsize * 1024;
      const size = ALIGN(TWOMEG, default_hsize);
      const npages = size >> t.page_shift;
      const b = newBuffer(size);
      b.ptr = mapResult(
        t.s.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0),
      );
      // The C returns (and passes) without a SKIP when no huge page can be had.
      if (b.ptr === MAP_FAILED) return;
      b.size = size;
      b.mirror = t.s.malloc(npages);
      ASSERT_NE(b.mirror, 0);
      fill(t.s, b.ptr, size / 4, (i) => i);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).SNAPSHOT, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      for (let i = 0; i < npages; ++i)
        ASSERT_EQ(t.s.getU8(b.mirror + i), U.HMM_DMIRROR_PROT_WRITE | U.HMM_DMIRROR_PROT_PMD, `m[${i}]`);
      ASSERT_EQ(t.s.mprotect(b.ptr, size, PROT_READ), 0);
      ASSERT_EQ(hmm_dmirror_cmd(t.s, t.fd, io(t).SNAPSHOT, b, npages), 0);
      ASSERT_EQ(b.cpages, npages);
      for (let i = 0; i < npages; ++i)
        ASSERT_EQ(t.s.getU8(b.mirror + i), U.HMM_DMIRROR_PROT_READ | U.HMM_DMIRROR_PROT_PMD, `m[${i}]`);
      t.s.munmap(b.ptr, b.size);
      b.ptr = 0;
      hmm_buffer_free(t.s, b);
    },
  },
];
