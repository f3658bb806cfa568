/**
 * Who prints what around a hibernation besides kernel/power's own lines: the
 * pm_pr_dbg() gate, the ACPI platform hooks and power-off. The lines are
 * profile data (HibernationMessages.pm); this file holds the rules that pick
 * them, so hibernate() and software_resume() read like the kernel's sequence.
 */
import type { Machine } from '../machine/boot.js';

/**
 * pm_pr_dbg() (kernel/power/main.c) prints only with `pm_debug_messages` on
 * the command line (pm_debug_messages_on), on a CONFIG_PM_SLEEP_DEBUG build.
 * 3.10 printed the same lines with printk(): always.
 */
export function pmDebugOn(m: Pick<Machine, 'profile' | 'e820'>): boolean {
  if (m.profile.hibernation.messages.pm.debugLines === 'always') return true;
  if (!m.profile.build.pmSleepDebug) return false;
  return /(?:^|\s)pm_debug_messages(?:\s|$)/.test(m.e820.cmdline ?? '');
}

/** A pm_pr_dbg() line: printed or dropped by pmDebugOn(). */
export function pmDebugLog(
  m: Pick<Machine, 'profile' | 'e820'>,
  log: (l: string) => void,
): (l: string) => void {
  return pmDebugOn(m) ? log : () => undefined;
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
