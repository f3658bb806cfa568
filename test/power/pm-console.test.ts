/**
 * Which debug lines print, by build and command line, against the fixture consoles
 * (../shared/fixtures/kernel-images/runs, all booted with pm_debug_messages):
 * syscore_suspend()/resume() lines are pm_pr_dbg() (CONFIG_PM_SLEEP_DEBUG + the
 * parameter; the tiny kernels print them with raw addresses), snapshot.c/swap.c
 * lines are pr_debug() (CONFIG_DYNAMIC_DEBUG: stock only).
 */
import { describe, expect, it } from 'vitest';
import { pmDebugOn, pmPrDbgOn, syscoreResumeLines, syscoreSuspend } from '../../src/power/pm-console.js';
import { getProfile } from '../../src/profiles/index.js';

const TEXT = 0xffffffff81000000n;
const machine = (id: string, cmdline: string, textVirt = TEXT) => ({
  profile: getProfile(id),
  e820: { cmdline } as never,
  kernelImage: { textVirt } as never,
});
const suspendLines = (m: ReturnType<typeof machine>) => {
  const out: string[] = [];
  syscoreSuspend(m, (l) => out.push(l));
  return out;
};

describe('pm debug lines', () => {
  it('stock 6.12 with pm_debug_messages: the syscore ops of runs/612-lzo', () => {
    const m = machine('linux-6.12', 'console=ttyS0 pm_debug_messages resume=/dev/vda');
    expect(suspendLines(m)).toEqual([
      'Checking wakeup interrupts',
      'Calling mce_syscore_suspend+0x0/0x20',
      'Calling ledtrig_cpu_syscore_suspend+0x0/0x20',
      'Calling timekeeping_syscore_suspend+0x0/0x10',
      'Calling irq_gc_suspend+0x0/0x80',
      'Calling ioapic_suspend+0x0/0x10',
      'Calling i8259A_suspend+0x0/0x30',
      'Calling fw_suspend+0x0/0x20',
      'Calling acpi_save_bm_rld+0x0/0x30',
      'Calling lapic_suspend+0x0/0x160',
    ]);
    expect(syscoreResumeLines(m)[0]).toBe('Calling lapic_resume+0x0/0x2b0');
    expect(syscoreResumeLines(m)).toHaveLength(11);
  });
  it('without pm_debug_messages no syscore line prints; snapshot.c pr_debug lines still do (dynamic debug)', () => {
    const m = machine('linux-6.12', 'console=ttyS0 resume=/dev/vda');
    expect(pmPrDbgOn(m)).toBe(false);
    expect(suspendLines(m)).toEqual([]);
    expect(syscoreResumeLines(m)).toEqual([]);
    expect(pmDebugOn(m)).toBe(true);
    // "pm_debug_messages" must be a whole word.
    expect(pmPrDbgOn(machine('linux-6.12', 'no_pm_debug_messages=1'))).toBe(false);
  });
  it('tiny: raw addresses (no KALLSYMS) that move with _text; no snapshot.c lines (no DYNAMIC_DEBUG)', () => {
    const m = machine('linux-6.12/tiny', 'pm_debug_messages nokaslr');
    expect(pmDebugOn(m)).toBe(false);
    const lines = suspendLines(m);
    // runs/tiny612-lzo console-hibernate.log, lines 324-329.
    expect(lines).toEqual([
      'Checking wakeup interrupts',
      'Calling 0xffffffff8106cfc4',
      'Calling 0xffffffff8102a509',
      'Calling 0xffffffff8101a010',
      'Calling 0xffffffff81172b6d',
      'Calling 0xffffffff8102893a',
    ]);
    // runs/tiny612-kaslr: _text at 0xffffffffb7800000.
    expect(suspendLines(machine('linux-6.12/tiny', 'pm_debug_messages', 0xffffffffb7800000n))[1]).toBe(
      'Calling 0xffffffffb786cfc4',
    );
  });
  it('3.10: syscore lines are pr_debug()/initcall_debug only; its snapshot lines are printk()s', () => {
    const m = machine('linux-3.10', 'pm_debug_messages');
    expect(suspendLines(m)).toEqual([]);
    expect(pmDebugOn(m)).toBe(true);
  });
});
