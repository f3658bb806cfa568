import { describe, expect, it } from 'vitest';
import { FaultLivelock } from '../../src/arch/x86/user-fault.js';
import { DmirrorDriver, type DmirrorParams } from '../../src/drivers/test-hmm.js';
import { bootMmContext } from '../../src/kernel/boot-mm.js';
import { Syscalls, type System } from '../../src/kernel/syscalls.js';
import { Tasks } from '../../src/kernel/task.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../src/mm/mmap.js';
import { PM_PRESENT, PM_SWAP, pagemapEntry } from '../../src/mm/pagemap.js';
import { getProfile } from '../../src/profiles/index.js';
import { hmm_dmirror_cmd, newBuffer } from '../../src/selftests/hmm-tests/harness.js';

/** Seed 002: one page migrated to dmirror0, then read back by the CPU. */
function story(params: DmirrorParams) {
  const ctx = bootMmContext({ profile: getProfile('linux-6.12'), ramMiB: 256 });
  ctx.livelockThreshold = 32;
  const tasks = new Tasks(ctx);
  const sys: System = { ctx, tasks, devices: new Map() };
  const driver = new DmirrorDriver(ctx, params);
  for (const d of driver.init()) sys.devices.set(d.path, d);
  const s = new Syscalls(sys, tasks.spawn(false));
  const fd = s.open('/dev/hmm_dmirror0', 2);
  const b = newBuffer(4096);
  b.ptr = s.mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  b.mirror = s.malloc(4096);
  s.setI32(b.ptr, 0x66616365);
  expect(hmm_dmirror_cmd(s, fd, 2, b, 1)).toBe(0);
  return { ctx, s, b };
}

describe('seed 002', () => {
  it('pagemap after the migration: PFN 0 (no CAP_SYS_ADMIN), swap bit set, not present', () => {
    const { ctx, s, b } = story({});
    const e = pagemapEntry(ctx, s.task.mm, b.ptr, false);
    expect(e & PM_SWAP).toBe(PM_SWAP);
    expect(e & PM_PRESENT).toBe(0n);
    expect(e & ((1n << 55n) - 1n)).toBe(0n);
    // With CAP_SYS_ADMIN: device pfn << 5 | SWP_DEVICE_WRITE (27 in 6.12).
    const priv = pagemapEntry(ctx, s.task.mm, b.ptr, true);
    expect(Number(priv & 31n)).toBe(ctx.hmm.swap.deviceWrite);
    expect(ctx.isDevicePrivate(Number((priv & ((1n << 55n) - 1n)) >> 5n))).toBe(true);
  });

  it('owner mismatch: migrate_to_ram never migrates, the fault repeats — reported as a livelock with the trace', () => {
    const other = { name: '&dmirror_device' };
    const { s, b } = story({ faultOwner: () => other });
    let err: unknown;
    try {
      s.getI32(b.ptr);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FaultLivelock);
    const r = (err as FaultLivelock).report;
    expect(r.trace).toEqual([
      'dmirror_devmem_fault',
      'do_swap_page',
      '__handle_mm_fault',
      'handle_mm_fault',
      'do_user_addr_fault',
      'exc_page_fault',
    ]);
    expect(r.reason).toMatch(
      /owner mismatch: the device page's pgmap->owner is hmm_dmirror0 .* &dmirror_device/,
    );
  });

  it('same owner: the CPU read brings the data back to RAM', () => {
    const { ctx, s, b } = story({});
    expect(s.getI32(b.ptr)).toBe(0x66616365);
    const e = pagemapEntry(ctx, s.task.mm, b.ptr, true);
    expect(e & PM_PRESENT).toBe(PM_PRESENT);
    expect(ctx.pgmapOf(Number(e & ((1n << 55n) - 1n)))).toBeUndefined();
  });
});
