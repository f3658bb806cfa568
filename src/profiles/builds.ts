/**
 * Kernel builds: what a .config and the linker make of one kernel version.
 * A profile id is `version` or `version/build` (`linux-6.12/tiny`); the
 * version file (linux-6.12.ts) holds the algorithms and the stock build, a
 * build here overrides only sizes, addresses and config-dependent output.
 *
 * Sources (all from ../shared/fixtures/kernel-images): /proc/iomem of each
 * hibernating boot ("Kernel code/rodata/data/bss", nokaslr, _text =
 * 0x1000000), jump_address of the images (restore_registers; for the tiny
 * kernels the README quotes System.map), and the tiny kernels' .config
 * (kernels/config-*-hiblab-tiny.xz: no SMP, PREEMPT_NONE, no KALLSYMS, no
 * PTI, no NUMA, RANDOMIZE_MEMORY_PHYSICAL_PADDING=0).
 */
import type { KernelBuild, KernelImageLayout, KernelProfile, PagingProfile } from './types.js';

/** A build as data: the KernelBuild plus the profile fields it overrides. */
export interface BuildSpec {
  readonly build: KernelBuild;
  readonly kernelImage?: KernelImageLayout;
  readonly paging?: Partial<PagingProfile>;
}

const TEXT_VIRT = 0xffffffff81000000n;
const TEXT_PHYS = 0x1000000;
/** brk after .bss: early page-table buffer + 64 KiB, as the stock 6.12 layout assumes. */
const BRK = 0x1c000;

/** Image layout from the end of .bss; init_top_pgt at the start of .data. */
function layout(dataStart: number, bssEnd: number): KernelImageLayout {
  return {
    textPhys: TEXT_PHYS,
    textVirt: TEXT_VIRT,
    pgdOffset: dataStart,
    pgdSymbol: 'init_top_pgt',
    pgtBufOffset: bssEnd,
    endOffset: bssEnd + BRK,
  };
}

/** /proc/iomem lines (absolute, inclusive end) → kept sections relative to _text, page-rounded out. */
function sections(
  rows: readonly [name: string, start: number, endIncl: number][],
): KernelBuild['keptSections'] {
  return rows.map(([name, s, e]) => ({
    name,
    start: Math.floor((s - TEXT_PHYS) / 4096) * 4096,
    end: Math.ceil((e + 1 - TEXT_PHYS) / 4096) * 4096,
  }));
}

/** Builds per version id; the first one is the default (`stock`). */
export const BUILDS: Readonly<Record<string, readonly BuildSpec[]>> = {
  'linux-3.10': [
    {
      build: {
        id: 'stock',
        description: 'RHEL 7.9 kernel-3.10.0-1160.el7.x86_64',
        keptSections: null,
        // Model value since the first release (no System.map of the seed kernel).
        restoreRegistersOffset: 0x2ff000,
        kallsyms: true,
        dieFlags: ' SMP ',
        numa: true,
        release: '3.10.0-1160.el7.x86_64',
        calibration: null,
        panicOnOops: true,
        smp: true,
        pmSleepDebug: true,
        dynamicDebug: true,
        // 128 + 3 * (1 << CONFIG_NODES_SHIFT=10): RHEL 7's config (not visible in the seed logs)
        e820MaxEntries: 3200,
        syscoreOps: null,
      },
    },
  ],
  'linux-6.1': [
    {
      build: {
        id: 'stock',
        description: 'Debian 6.1.0-53-amd64 (6.1.187-1)',
        keptSections: sections([
          ['Kernel code', 0x01000000, 0x01e01d31],
          ['Kernel rodata', 0x02000000, 0x028e8fff],
          ['Kernel data', 0x02a00000, 0x02c489ff],
          ['Kernel bss', 0x0330d000, 0x043fffff],
        ]),
        // 61-lzo image: jump_address 0xffffffff819cd000.
        restoreRegistersOffset: 0x9cd000,
        kallsyms: true,
        dieFlags: ' PREEMPT SMP NOPTI',
        numa: true,
        release: '6.1.0-53-amd64',
        calibration: 'stock',
        panicOnOops: false,
        smp: true,
        pmSleepDebug: true,
        dynamicDebug: true,
        // 128 + 3 * (1 << CONFIG_NODES_SHIFT=10): MAXSMP (NR_CPUS:8192 in the fixtures' logs)
        e820MaxEntries: 3200,
        // runs/61-lzo consoles (pm_debug_messages): syscore_suspend() / syscore_resume().
        syscoreOps: {
          suspend: [
            'mce_syscore_suspend+0x0/0x20',
            'ledtrig_cpu_syscore_suspend+0x0/0x20',
            'timekeeping_suspend+0x0/0x2f0',
            'irq_gc_suspend+0x0/0x70',
            'save_ioapic_entries+0x0/0xd0',
            'i8259A_suspend+0x0/0x30',
            'fw_suspend+0x0/0x20',
            'acpi_save_bm_rld+0x0/0x20',
            'lapic_suspend+0x0/0x210',
          ],
          resume: [
            'lapic_resume+0x0/0x360',
            'acpi_restore_bm_rld+0x0/0x70',
            'irqrouter_resume+0x0/0x50',
            'i8259A_resume+0x0/0x30',
            'i8237A_resume+0x0/0xb0',
            'ioapic_resume+0x0/0xb0',
            'irq_gc_resume+0x0/0x70',
            'irq_pm_syscore_resume+0x0/0x10',
            'timekeeping_resume+0x0/0x1a0',
            'ledtrig_cpu_syscore_resume+0x0/0x10',
            'mce_syscore_resume+0x0/0x30',
          ],
        },
      },
      kernelImage: layout(0x1a00000, 0x3400000),
    },
    {
      build: {
        id: 'tiny',
        description: '6.1.192-hiblab-tiny (tinyconfig + hibernation fragment)',
        keptSections: sections([
          ['Kernel code', 0x01000000, 0x016000ff],
          ['Kernel rodata', 0x01800000, 0x01887fff],
          ['Kernel data', 0x01a00000, 0x01ae06bf],
          ['Kernel bss', 0x01b74000, 0x01bfffff],
        ]),
        // System.map: restore_registers = 0xffffffff811f1000.
        restoreRegistersOffset: 0x1f1000,
        kallsyms: false,
        dieFlags: '',
        numa: false,
        release: '6.1.192-hiblab-tiny',
        calibration: 'tiny',
        // tinyconfig + fragment: no SMP (no "Disabling non-boot CPUs"), CONFIG_PM_SLEEP_DEBUG=y
        // (syscore's pm_pr_dbg() lines print), no DYNAMIC_DEBUG (snapshot.c/swap.c pr_debug() do not).
        panicOnOops: false,
        smp: false,
        pmSleepDebug: true,
        dynamicDebug: false,
        // 128 + 3 * 1: no CONFIG_NUMA, MAX_NUMNODES 1
        e820MaxEntries: 131,
        // runs/tiny61-nocompress console (pm_debug_messages, no KALLSYMS): raw addresses − _text (nokaslr 0xffffffff81000000).
        syscoreOps: {
          suspend: [0x6415b, 0x25ca7, 0x18106, 0x15467f, 0x24c1b],
          resume: [0x247a9, 0x154693, 0x15e2ac, 0x18127, 0x2688a, 0x5d965, 0x6403c],
        },
      },
      kernelImage: layout(0xa00000, 0xc00000),
      paging: { physicalPaddingTb: 0 },
    },
  ],
  'linux-6.12': [
    {
      build: {
        id: 'stock',
        description: 'Debian 6.12.117+deb12-amd64',
        keptSections: sections([
          ['Kernel code', 0x01000000, 0x01ffffff],
          ['Kernel rodata', 0x02000000, 0x02b70fff],
          ['Kernel data', 0x02c00000, 0x02e70f7f],
          ['Kernel bss', 0x03736000, 0x03bfffff],
        ]),
        // 612-lzo image: jump_address 0xffffffff81cb6010.
        restoreRegistersOffset: 0xcb6010,
        kallsyms: true,
        dieFlags: ' PREEMPT SMP NOPTI',
        numa: true,
        release: '6.12.117+deb12-amd64',
        calibration: 'stock',
        panicOnOops: false,
        smp: true,
        pmSleepDebug: true,
        dynamicDebug: true,
        // 128 + 3 * (1 << CONFIG_NODES_SHIFT=10): MAXSMP (NR_CPUS:8192 in the fixtures' logs)
        e820MaxEntries: 3200,
        // runs/612-lzo and 612-platform consoles (pm_debug_messages): syscore_suspend() / syscore_resume().
        syscoreOps: {
          suspend: [
            'mce_syscore_suspend+0x0/0x20',
            'ledtrig_cpu_syscore_suspend+0x0/0x20',
            'timekeeping_syscore_suspend+0x0/0x10',
            'irq_gc_suspend+0x0/0x80',
            'ioapic_suspend+0x0/0x10',
            'i8259A_suspend+0x0/0x30',
            'fw_suspend+0x0/0x20',
            'acpi_save_bm_rld+0x0/0x30',
            'lapic_suspend+0x0/0x160',
          ],
          resume: [
            'lapic_resume+0x0/0x2b0',
            'acpi_restore_bm_rld+0x0/0x70',
            'irqrouter_resume+0x0/0x50',
            'i8259A_resume+0x0/0x40',
            'i8237A_resume+0x0/0xb0',
            'ioapic_resume+0x0/0xc0',
            'irq_gc_resume+0x0/0x70',
            'irq_pm_syscore_resume+0x0/0x20',
            'timekeeping_syscore_resume+0x0/0x10',
            'ledtrig_cpu_syscore_resume+0x0/0x20',
            'mce_syscore_resume+0x0/0x30',
          ],
        },
      },
    },
    {
      build: {
        id: 'tiny',
        description: '6.12.117-hiblab-tiny (tinyconfig + hibernation fragment)',
        keptSections: sections([
          ['Kernel code', 0x01000000, 0x015fffff],
          ['Kernel rodata', 0x01600000, 0x0169afff],
          ['Kernel data', 0x01800000, 0x018e3f7f],
          ['Kernel bss', 0x01980000, 0x019fffff],
        ]),
        // System.map: restore_registers = 0xffffffff8121f000.
        restoreRegistersOffset: 0x21f000,
        kallsyms: false,
        dieFlags: '',
        numa: false,
        release: '6.12.117-hiblab-tiny',
        calibration: 'tiny',
        // tinyconfig + fragment: no SMP (no "Disabling non-boot CPUs"), CONFIG_PM_SLEEP_DEBUG=y
        // (syscore's pm_pr_dbg() lines print), no DYNAMIC_DEBUG (snapshot.c/swap.c pr_debug() do not).
        panicOnOops: false,
        smp: false,
        pmSleepDebug: true,
        dynamicDebug: false,
        // 128 + 3 * 1: no CONFIG_NUMA, MAX_NUMNODES 1
        e820MaxEntries: 131,
        // runs/tiny612-lzo console (pm_debug_messages, no KALLSYMS): raw addresses − _text (nokaslr 0xffffffff81000000).
        syscoreOps: {
          suspend: [0x6cfc4, 0x2a509, 0x1a010, 0x172b6d, 0x2893a],
          resume: [0x285eb, 0x172b81, 0x17d8cc, 0x1a031, 0x2a5a8, 0x661fb, 0x6cde5],
        },
      },
      kernelImage: layout(0x800000, 0xa00000),
      paging: { physicalPaddingTb: 0 },
    },
  ],
};

/** The version profile with one build applied; id `version/build` unless it is the default build. */
export function withBuild(base: KernelProfile, spec: BuildSpec, isDefault: boolean): KernelProfile {
  return {
    ...base,
    id: isDefault ? base.version : `${base.version}/${spec.build.id}`,
    description: isDefault ? base.description : `${base.description}, build ${spec.build.description}`,
    build: spec.build,
    kernelImage: spec.kernelImage ?? base.kernelImage,
    paging: { ...base.paging, ...spec.paging },
    hibernation: {
      ...base.hibernation,
      oops: { ...base.hibernation.oops, release: spec.build.release },
    },
  };
}
