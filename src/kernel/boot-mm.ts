/**
 * A booted model machine wrapped for user memory: the HMM tests and stories
 * start here (boot, then processes, mappings and devices on top).
 */
import { X86_MM_ARCH_OPS } from '../arch/x86/memory-hotplug.js';
import { parseE820Text } from '../firmware/e820-dmesg.js';
import { buildKernelE820 } from '../firmware/e820-kernel.js';
import { bootMachine } from '../machine/boot.js';
import { MmContext, type MmContextOptions } from '../mm/context.js';

/**
 * Boot a model machine with `ramMiB` of RAM (a QEMU-like e820: 639 KiB low,
 * [1 MiB, end), above 3 GiB continued at 4 GiB) and wrap it in an MmContext.
 */
export function bootMmContext(opts: MmContextOptions): MmContext {
  const ram = (opts.ramMiB ?? 1024) * 1024 * 1024;
  const hex = (v: number): string => `0x${v.toString(16).padStart(16, '0')}`;
  const lines = [
    `BIOS-e820: [mem ${hex(0)}-${hex(0x9fbff)}] usable`,
    `BIOS-e820: [mem ${hex(0x9fc00)}-${hex(0x9ffff)}] reserved`,
    `BIOS-e820: [mem ${hex(0xf0000)}-${hex(0xfffff)}] reserved`,
  ];
  const low = Math.min(ram, 0xc0000000);
  lines.push(`BIOS-e820: [mem ${hex(0x100000)}-${hex(low - 1)}] usable`);
  if (ram > low)
    lines.push(`BIOS-e820: [mem ${hex(0x100000000)}-${hex(0x100000000 + (ram - low) - 1)}] usable`);
  const parsed = parseE820Text(lines.join('\n'), '<hmm machine>')[0]!;
  const e820 = buildKernelE820(parsed, opts.profile);
  const machine = bootMachine(e820, { profile: opts.profile, kaslr: { seed: opts.seed ?? 0 } });
  return new MmContext(machine, opts.seed ?? 0, X86_MM_ARCH_OPS);
}
