import { describe, expect, it } from 'vitest';
import { bootMmContext } from '../../src/kernel/boot-mm.js';
import { Syscalls, type System } from '../../src/kernel/syscalls.js';
import { Tasks, WEXITSTATUS, WIFEXITED } from '../../src/kernel/task.js';
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from '../../src/mm/mmap.js';
import { PM_PRESENT, PM_SWAP, pagemapEntry } from '../../src/mm/pagemap.js';
import { getProfile } from '../../src/profiles/index.js';

function system(): { sys: System; s: Syscalls } {
  const ctx = bootMmContext({ profile: getProfile('linux-6.12'), ramMiB: 256 });
  const tasks = new Tasks(ctx);
  const sys: System = { ctx, tasks, devices: new Map() };
  return { sys, s: new Syscalls(sys, tasks.spawn()) };
}

describe('user address spaces', () => {
  it('anonymous pages: zero page on read, private page on write, pagemap present bit', () => {
    const { sys, s } = system();
    const p = s.mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    expect(p).toBeGreaterThan(0);
    expect(s.getI32(p + 4096)).toBe(0);
    const zero = pagemapEntry(sys.ctx, s.task.mm, p + 4096, true);
    expect(zero & PM_PRESENT).toBe(PM_PRESENT);
    expect(Number(zero & 0xffffffffn)).toBe(sys.ctx.zeroPfn);
    for (let i = 0; i < 8 * 1024; i++) s.setI32(p + 4 * i, i);
    for (let i = 0; i < 8 * 1024; i++) expect(s.getI32(p + 4 * i)).toBe(i);
    const e = pagemapEntry(sys.ctx, s.task.mm, p, false);
    expect(e & PM_PRESENT).toBe(PM_PRESENT);
    expect(e & ((1n << 55n) - 1n)).toBe(0n);
    expect(e & PM_SWAP).toBe(0n);
  });

  it('fork is copy-on-write for private and shares MAP_SHARED', () => {
    const { s } = system();
    const priv = s.mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    const shr = s.mmap(0, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
    s.setI32(priv, 1);
    s.setI32(shr, 1);
    const pid = s.fork((c) => {
      if (c.getI32(priv) !== 1 || c.getI32(shr) !== 1) return 2;
      c.setI32(priv, 7);
      c.setI32(shr, 7);
      return 0;
    });
    const w = s.waitpid(pid);
    expect(WIFEXITED(w.status)).toBe(true);
    expect(WEXITSTATUS(w.status)).toBe(0);
    expect(s.getI32(priv)).toBe(1);
    expect(s.getI32(shr)).toBe(7);
  });

  it('mprotect PROT_NONE faults (SIGSEGV); munmap frees the pages', () => {
    const { sys, s } = system();
    const free0 = sys.ctx.buddy.totalFreePages;
    const p = s.mmap(0, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
    for (let i = 0; i < 64; i++) s.setI32(p + i * 4096, i);
    expect(s.mprotect(p, 64 * 4096, PROT_NONE)).toBe(0);
    expect(() => s.getI32(p)).toThrow(/SIGSEGV/);
    expect(s.mprotect(p, 64 * 4096, PROT_READ)).toBe(0);
    expect(s.getI32(p + 5 * 4096)).toBe(5);
    expect(() => s.setI32(p, 1)).toThrow(/SIGSEGV/);
    expect(s.munmap(p, 64 * 4096)).toBe(0);
    // Page-table pages stay (free_pgtables is not modelled per munmap); the 64 data pages are back.
    expect(free0 - sys.ctx.buddy.totalFreePages).toBeLessThan(8);
  });
});
