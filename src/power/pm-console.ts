/**
 * Who prints what around a hibernation besides kernel/power's own lines: the
 * pm_pr_dbg() gate, the ACPI platform hooks and power-off. The lines are
 * profile data (HibernationMessages.pm); this file holds the rules that pick
 * them, so hibernate() and software_resume() read like the kernel's sequence.
 */
import type { Machine } from '../machine/boot.js';
import type { SyscoreOp } from '../profiles/types.js';

/**
 * The debug lines of swap.c and snapshot.c ("Marking nosave pages", "Basic memory
 * bitmaps created/freed", "Image signature found, resuming"): printk()s in 3.10;
 * pr_debug() in 6.x, which kernel/power/Makefile enables by default (-DDEBUG) on a
 * CONFIG_DYNAMIC_DEBUG build and which are compiled out otherwise.
 */
export function pmDebugOn(m: Pick<Machine, 'profile'>): boolean {
  if (m.profile.hibernation.messages.pm.debugLines === 'always') return true;
  return m.profile.build.dynamicDebug;
}

/** One of those lines: printed or dropped by pmDebugOn(). */
export function pmDebugLog(m: Pick<Machine, 'profile'>, log: (l: string) => void): (l: string) => void {
  return pmDebugOn(m) ? log : () => undefined;
}

/**
 * pm_pr_dbg() (kernel/power/main.c, used by syscore.c): prints only with
 * `pm_debug_messages` on the command line, on a CONFIG_PM_SLEEP_DEBUG build
 * (and, since 6.9, only while a transition is in progress: always the case here).
 */
export function pmPrDbgOn(m: Pick<Machine, 'profile' | 'e820'>): boolean {
  if (!m.profile.build.pmSleepDebug) return false;
  return /(?:^|\s)pm_debug_messages(?:\s|$)/.test(m.e820.cmdline ?? '');
}

/** drivers/acpi/sleep.c: acpi_pm_prepare()/acpi_hibernation_begin() → "Preparing to enter system sleep state S<n>". */
export function acpiPreparing(m: Pick<Machine, 'profile'>, state: 4 | 5): string {
  return `${m.profile.hibernation.messages.pm.acpiPrefix}Preparing to enter system sleep state S${state}`;
}

/** acpi_save_nvs / acpi_restore_nvs / acpi_pm_finish() lines of a platform-mode S4 (ACPI hibernation ops). */
export function acpiNvs(m: Pick<Machine, 'profile'>, what: 'save' | 'restore' | 'wake'): string {
  const p = m.profile.hibernation.messages.pm.acpiPrefix;
  if (what === 'save') return `${p}Saving platform NVS memory`;
  if (what === 'restore') return `${p}Restoring platform NVS memory`;
  return `${p}Waking up from system sleep state S4`;
}

/** freeze_secondary_cpus() (kernel/cpu.c): CONFIG_SMP builds only. */
export function disableNonbootCpus(m: Pick<Machine, 'profile'>, log: (l: string) => void): void {
  if (m.profile.build.smp) log('Disabling non-boot CPUs ...');
}

/**
 * syscore_suspend() (drivers/base/syscore.c), after the other CPUs are off:
 * "Checking wakeup interrupts", then "Calling %pS" for each op in reverse
 * registration order, all pm_pr_dbg() (6.x).
 */
export function syscoreSuspend(m: SyscoreMachine, log: (l: string) => void): void {
  const check = m.profile.hibernation.messages.pm.syscoreCheck;
  if (check === null || !pmPrDbgOn(m)) return;
  log(check);
  for (const op of m.profile.build.syscoreOps?.suspend ?? []) log(callingLine(m, op));
}

type SyscoreMachine = Pick<Machine, 'profile' | 'e820' | 'kernelImage'>;

/** "Calling %pS": the symbol text, or without KALLSYMS the raw address (_text + offset, KASLR included). */
function callingLine(m: SyscoreMachine, op: SyscoreOp): string {
  if (typeof op === 'string') return `Calling ${op}`;
  return `Calling 0x${(m.kernelImage.textVirt + BigInt(op)).toString(16)}`;
}

/** syscore_resume(): "Calling %pS" for each op in registration order (pm_pr_dbg, 6.x). */
export function syscoreResumeLines(m: SyscoreMachine): string[] {
  if (m.profile.hibernation.messages.pm.syscoreCheck === null || !pmPrDbgOn(m)) return [];
  return (m.profile.build.syscoreOps?.resume ?? []).map((op) => callingLine(m, op));
}
