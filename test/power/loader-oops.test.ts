/**
 * The resume loader's oops (src/power/loader-oops.ts): the faulting function
 * and the frame above it follow the loader that ran. A 6.6+ zero page is
 * memset inside snapshot_write_next(), called from load_image() when the image
 * is uncompressed — not from load_compressed_image() (the fix of issue 9).
 */
import { describe, expect, it } from 'vitest';
import { walk } from '../../src/arch/x86/walk.js';
import type { ParsedE820 } from '../../src/firmware/e820-types.js';
import { buildKernelE820 } from '../../src/firmware/index.js';
import { bootMachine } from '../../src/machine/boot.js';
import { loaderOops } from '../../src/power/loader-oops.js';
import { getProfile } from '../../src/profiles/index.js';
import { BASE_MAPS } from '../engine/map-changes.js';

function machine(profileId: string) {
  const profile = getProfile(profileId);
  const parsed: ParsedE820 = {
    source: 'json',
    bootIndex: 0,
    origin: 'json',
    entries: Object.values(BASE_MAPS)[0]!,
    setupData: [],
    logEdits: [],
    complete: true,
    notes: [],
  };
  const kernelImage = { pgdOffset: 0x100000, pgtBufOffset: 0x180000, endOffset: 0x190000 };
  return bootMachine(buildKernelE820(parsed, profile), { profile, kaslr: { seed: 7 }, kernelImage });
}

describe('loaderOops', () => {
  const m = machine('linux-6.12');
  // An address past the direct map: the walk stops at a not-present entry.
  const vaddr = m.kaslr.pageOffsetBase + 0x7f0000000000n;
  const w = walk(m.mem, m.kernelImage.pgdPhys, vaddr);
  const stack = m.ptov(0x10000);

  it('a zero-page memset under the uncompressed loader: snapshot_write_next called from load_image', () => {
    const o = loaderOops(m, { via: 'initcall' }, vaddr, w, {
      what: 'zero-fill',
      compressed: false,
      nrPages: 77,
    });
    expect(o.func).toBe('snapshot_write_next');
    expect(o.trace[0]).toMatch(/^load_image\+0x[0-9a-f]+$/);
    expect(o.trace[1]).toMatch(/^swsusp_read\+/);
    // memset(buffer, 0, PAGE_SIZE): no source; nr_pages in RBX; PID 1 for an initcall.
    expect([o.regs.rsi, o.regs.rdx, o.regs.rbx, o.regs.rdi]).toEqual([0n, 0n, 77n, vaddr]);
    expect([o.pid, o.comm]).toEqual([1, 'swapper/0']);
  });

  it('the same memset under the compressed loader names load_compressed_image', () => {
    const dec = { data: 0x1000n, unc: 0x1060n, cmp: 0x21060n, off: 0x2000 };
    const o = loaderOops(m, { via: 'sysfs', process: 'sh', pid: 42 }, vaddr, w, {
      what: 'zero-fill',
      compressed: true,
      nrPages: 5,
      dec,
      stack,
    });
    expect(o.trace[0]).toMatch(/^load_compressed_image\+0x[0-9a-f]+$/);
    expect([o.pid, o.comm]).toEqual([42, 'sh']);
  });

  it("the loader's own copy faults in the loader, with the profile's frame on the task's stack", () => {
    const op = m.profile.hibernation.oops;
    const dec = { data: 0x1000n, unc: 0x1060n, cmp: 0x21060n, off: 0x2000 };
    const o = loaderOops(m, { via: 'initcall' }, vaddr, w, {
      what: 'copy',
      compressed: true,
      nrPages: 9,
      dec,
      stack,
    });
    expect([o.func, o.offset]).toEqual(['load_compressed_image', op.copyInsnOffset]);
    expect(o.trace[0]).toMatch(/^swsusp_read\+/);
    expect(o.regs.rsi).toBe(dec.unc + 0x2000n);
    expect(o.regs.rdx).toBe(0x1000n);
    expect(o.regs.rbp - stack).toBe(BigInt(op.loaderFrame.rbp));
    expect(o.regs.r13 - stack).toBe(BigInt(op.loaderFrame.snapshotHandle));
  });
});
