/**
 * Replaying the real QEMU boots of ../shared/fixtures/kernel-images as
 * scenarios: every resume boot of the README table (25) plus runs-neg.
 *
 * Each replay is built from the real consoles only: the hibernating boot's
 * log gives the firmware e820 table, the command line (nokaslr, compressor,
 * platform mode) and the kernel (its "Linux version" → profile + build); the
 * workload is the test's own (hogmem: 64 MiB of the test pattern) plus the
 * kernel's runtime memory that `free` printed just before `echo disk`
 * (used − 64 MiB → slab, buff/cache → page cache). The resume boot's log gives
 * its e820 table, command line and kernel; stock kernels resume from the
 * initramfs (`echo 254:0 > /sys/power/resume` in PID 1), tiny kernels from
 * their late_initcall. Nothing of the outcome or of the numbers compared is
 * an input.
 *
 * Three boots of the table have no console in the fixtures (612-nocompress
 * same-layout, tiny61-lzo ×2): they are replayed from the nearest logged boot
 * of the same kernel with the README's command line, and compared on the
 * outcome the README records.
 */
import { readFileSync } from 'node:fs';
import { SparseMemoryDevice } from '../../src/power/image/source.js';
import { loadScenario } from '../../src/scenario/load.js';
import { type RunResult, runScenario } from '../../src/scenario/run.js';
import { fixturePath } from '../helpers/fixtures.js';

export interface ReplayCase {
  image: string;
  test: string;
  /** Hibernating boot's console (relative to kernel-images/). */
  hibLog: string;
  /** Extra words for the hibernating cmdline when the log is a stand-in. */
  hibCmdlineEdit?: (c: string) => string;
  /** Resume boot's console; null for the failed hibernation. */
  resumeLog: string | null;
  /** Whether the fixtures hold this boot's own console (else the README row only). */
  logged: boolean;
  /** The README table's result column. */
  readme: string;
}

const R = (run: string, file: string) => `runs/${run}/${file}`;
const addNocompress = (c: string) =>
  c.replace('hiblab.mode=hibernate', 'hibernate=nocompress hiblab.mode=hibernate');
const dropNocompress = (c: string) => c.replace(' hibernate=nocompress', '');

export const CASES: ReplayCase[] = [
  {
    image: '61-lzo',
    test: 'kernel-6.12',
    hibLog: R('61-lzo', 'console-hibernate.log'),
    resumeLog: R('61-lzo', 'console-resume-kernel-6.12.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '61-lzo',
    test: 'mem512',
    hibLog: R('61-lzo', 'console-hibernate.log'),
    resumeLog: R('61-lzo', 'console-resume-mem512.log'),
    logged: true,
    readme: 'rejected: architecture specific data',
  },
  {
    image: '61-lzo',
    test: 'same-layout',
    hibLog: R('61-lzo', 'console-hibernate.log'),
    resumeLog: R('61-lzo', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '61-nocompress',
    test: 'same-layout',
    hibLog: R('61-nocompress', 'console-hibernate.log'),
    resumeLog: R('61-nocompress', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '612-kaslr',
    test: 'same-layout',
    hibLog: R('612-kaslr', 'console-hibernate.log'),
    resumeLog: R('612-kaslr', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '612-lz4',
    test: 'same-layout',
    hibLog: R('612-lz4', 'console-hibernate.log'),
    resumeLog: R('612-lz4', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '612-lzo',
    test: 'kaslr-bootkernel',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    resumeLog: R('612-lzo', 'console-resume-kaslr-bootkernel.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '612-lzo',
    test: 'kernel-6.1',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    resumeLog: R('612-lzo', 'console-resume-kernel-6.1.log'),
    logged: true,
    readme: 'failed -14',
  },
  {
    image: '612-lzo',
    test: 'mem320',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    resumeLog: R('612-lzo', 'console-resume-mem320.log'),
    logged: true,
    readme: 'rejected: architecture specific data',
  },
  {
    image: '612-lzo',
    test: 'mem512',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    resumeLog: R('612-lzo', 'console-resume-mem512.log'),
    logged: true,
    readme: 'rejected: architecture specific data',
  },
  {
    image: '612-lzo',
    test: 'q35',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    resumeLog: R('612-lzo', 'console-resume-q35.log'),
    logged: true,
    readme: 'rejected: architecture specific data',
  },
  {
    image: '612-lzo',
    test: 'same-layout',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    resumeLog: R('612-lzo', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '612-nocompress',
    test: 'same-layout',
    hibLog: R('612-lzo', 'console-hibernate.log'),
    hibCmdlineEdit: addNocompress,
    resumeLog: R('612-lzo', 'console-resume-same-layout.log'),
    logged: false,
    readme: 'restored',
  },
  {
    image: '612-platform',
    test: 'same-layout',
    hibLog: R('612-platform', 'console-hibernate.log'),
    resumeLog: R('612-platform', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: 'tiny61-lzo',
    test: 'kernel-tiny6.12',
    hibLog: R('tiny61-nocompress', 'console-hibernate.log'),
    hibCmdlineEdit: dropNocompress,
    resumeLog: R('tiny612-lzo', 'console-resume-same-layout.log'),
    logged: false,
    readme: 'restored',
  },
  {
    image: 'tiny61-lzo',
    test: 'same-layout',
    hibLog: R('tiny61-nocompress', 'console-hibernate.log'),
    hibCmdlineEdit: dropNocompress,
    resumeLog: R('tiny61-nocompress', 'console-resume-same-layout.log'),
    logged: false,
    readme: 'restored',
  },
  {
    image: 'tiny61-nocompress',
    test: 'same-layout',
    hibLog: R('tiny61-nocompress', 'console-hibernate.log'),
    resumeLog: R('tiny61-nocompress', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: 'tiny612-kaslr',
    test: 'same-layout',
    hibLog: R('tiny612-kaslr', 'console-hibernate.log'),
    resumeLog: R('tiny612-kaslr', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: 'tiny612-lz4',
    test: 'same-layout',
    hibLog: R('tiny612-lz4', 'console-hibernate.log'),
    resumeLog: R('tiny612-lz4', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: 'tiny612-lzo',
    test: 'kernel-tiny6.1',
    hibLog: R('tiny612-lzo', 'console-hibernate.log'),
    resumeLog: R('tiny612-lzo', 'console-resume-kernel-tiny6.1.log'),
    logged: true,
    readme: 'failed -14',
  },
  {
    image: 'tiny612-lzo',
    test: 'mem512',
    hibLog: R('tiny612-lzo', 'console-hibernate.log'),
    resumeLog: R('tiny612-lzo', 'console-resume-mem512.log'),
    logged: true,
    readme: 'rejected: architecture specific data',
  },
  {
    image: 'tiny612-lzo',
    test: 'q35',
    hibLog: R('tiny612-lzo', 'console-hibernate.log'),
    resumeLog: R('tiny612-lzo', 'console-resume-q35.log'),
    logged: true,
    readme: 'rejected: architecture specific data',
  },
  {
    image: 'tiny612-lzo',
    test: 'same-layout',
    hibLog: R('tiny612-lzo', 'console-hibernate.log'),
    resumeLog: R('tiny612-lzo', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: 'tiny612-nocompress',
    test: 'same-layout',
    hibLog: R('tiny612-nocompress', 'console-hibernate.log'),
    resumeLog: R('tiny612-nocompress', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: 'tiny612-platform',
    test: 'same-layout',
    hibLog: R('tiny612-platform', 'console-hibernate.log'),
    resumeLog: R('tiny612-platform', 'console-resume-same-layout.log'),
    logged: true,
    readme: 'restored',
  },
  {
    image: '612-m256-enomem',
    test: 'hibernate',
    hibLog: 'runs-neg/612-m256-enomem/console-hibernate.log',
    resumeLog: null,
    logged: true,
    readme: 'hibernation failed: ENOMEM',
  },
];

export const read = (rel: string): string => readFileSync(fixturePath(`kernel-images/${rel}`), 'utf8');

/** The kernel of a console: "Linux version <release>" → profile id (version/build). */
export function profileOfLog(text: string): string {
  const m = /Linux version (\S+)/.exec(text);
  const rel = m?.[1] ?? '';
  if (rel.startsWith('6.12.') && rel.endsWith('-hiblab-tiny')) return 'linux-6.12/tiny';
  if (rel.startsWith('6.1.') && rel.endsWith('-hiblab-tiny')) return 'linux-6.1/tiny';
  if (rel.startsWith('6.12.')) return 'linux-6.12';
  if (rel.startsWith('6.1.')) return 'linux-6.1';
  throw new Error(`unknown kernel release '${rel}'`);
}

export function cmdlineOf(text: string): string {
  const m = /\] Command line: (.*)/.exec(text);
  if (!m) throw new Error('log without a Command line');
  return m[1]!.trim();
}

/** `free` after hogmem started: used and buff/cache in kB. */
function runtimeOf(text: string): { usedKb: number; cacheKb: number } {
  const m = /\nMem:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!m) return { usedKb: 65536, cacheKb: 0 };
  return { usedKb: Number(m[2]), cacheKb: Number(m[5]) };
}

/** The scenario YAML of one case, from the consoles only. */
export function scenarioOf(c: ReplayCase): string {
  const hib = read(c.hibLog);
  let hcmd = cmdlineOf(hib);
  if (c.hibCmdlineEdit) hcmd = c.hibCmdlineEdit(hcmd);
  const hprof = profileOfLog(hib);
  const rt = runtimeOf(hib);
  const mib = Number(/hiblab\.mib=(\d+)/.exec(hcmd)?.[1] ?? 64);
  const slabKb = Math.max(0, rt.usedKb - mib * 1024);
  const rlog = c.resumeLog ?? c.hibLog;
  const res = read(rlog);
  const rprof = profileOfLog(res);
  const tiny = rprof.endsWith('/tiny');
  const abs = (rel: string) => JSON.stringify(fixturePath(`kernel-images/${rel}`));
  const platform = /hiblab\.pmdisk=platform/.test(hcmd);
  return [
    `name: ${c.image}-${c.test}`,
    'seed: 1',
    `profile: ${hprof}`,
    'suspend:',
    `  e820: { file: ${abs(c.hibLog)} }`,
    `  cmdline: ${JSON.stringify(hcmd)}`,
    '  workload:',
    '    groups:',
    `      - { kind: anon, name: hogmem, size: ${mib}M, contents: { pattern: 1 } }`,
    ...(slabKb > 0 ? [`      - { kind: slab, size: ${slabKb}K, contents: { pagecache: 1 } }`] : []),
    ...(rt.cacheKb > 0
      ? [`      - { kind: pagecache, size: ${rt.cacheKb}K, contents: { pagecache: 1 } }`]
      : []),
    'resume:',
    `  profile: ${rprof}`,
    `  e820: { file: ${abs(rlog)} }`,
    `  cmdline: ${JSON.stringify(cmdlineOf(res))}`,
    tiny ? '  resumeTrigger: { via: initcall }' : '  resumeTrigger: { via: sysfs, process: init }',
    'hibernate:',
    '  cpus: 1',
    ...(platform ? ['  platformMode: true'] : []),
    '',
  ].join('\n');
}

export async function runCase(c: ReplayCase): Promise<RunResult> {
  const sc = loadScenario(scenarioOf(c), `${c.image}-${c.test}.yaml`);
  return runScenario(sc, {
    readFile: (p) => readFileSync(p, 'utf8'),
    baseDir: '.',
    device: (n) => new SparseMemoryDevice(n),
  });
}

/** Outcome class of a real resume console. */
export function realClass(c: ReplayCase): string {
  if (!c.logged || !c.resumeLog) {
    if (c.resumeLog === null) {
      const t = read(c.hibLog);
      return /Image allocation is \d+ pages short/.test(t) ? 'hibernate-failed' : 'hibernated';
    }
    return c.readme.startsWith('restored') ? 'resumed' : c.readme;
  }
  const t = read(c.resumeLog);
  if (/Hibernation image restored successfully|RESTORED from the image/.test(t)) return 'resumed';
  const mm = /Image mismatch: (.*)/.exec(t);
  if (mm) return `refused: ${mm[1]!.trim()}`;
  const e = /resume failed \((-\d+)\)/.exec(t);
  if (e) return `error ${e[1]}`;
  return 'unknown';
}

/** Outcome class of a model run, in the same words. */
export function modelClass(r: RunResult): string {
  if (r.verdict === 'hibernate-failed') return 'hibernate-failed';
  if (r.verdict === 'resumed') return 'resumed';
  const res = r.resume?.result;
  const text = (r.resume?.console ?? []).join('\n');
  const mm = /Image mismatch: (.*)/.exec(text);
  if (mm) return `refused: ${mm[1]!.trim()}`;
  if (res?.errno) return `error ${res.errno}`;
  if (r.verdict === 'oops') return `oops in ${res?.oops?.func}`;
  return r.verdict;
}

/** Numbers a console prints, by label. */
export function numbersOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pick = (k: string, re: RegExp) => {
    const m = re.exec(text);
    if (m) out[k] = m.slice(1).join('+');
  };
  pick('totalPages', /Total pages: (\d+)/);
  pick('needToCopy', /Need to copy (\d+) pages/);
  pick('imageCreated', /Image created \((\d+) pages copied(?:, (\d+) zero pages)?\)/);
  pick('compressedKb', /Image size after compression: (\d+) kbytes/);
  pick('readKb', /Read (\d+) kbytes/);
  pick('loadingPages', /Loading (?:and decompressing )?image data(?: pages)? \((\d+) pages\)/);
  const nosave = [...text.matchAll(/Registered nosave memory: (\[mem [^\]]+\])/g)].map((m) => m[1]);
  if (nosave.length) out.nosave = [...new Set(nosave)].join(' ');
  return out;
}

/**
 * The power-management lines of a console in order, timings dropped: device
 * PM phases, the OOM killer, ACPI sleep-state and NVS lines, the CPUs going
 * down, pm_pr_dbg() bitmaps/nosave lines, "PM: S|", power-off, task restart
 * and the hibernate() entry/exit lines. `from` and `until` cut the real
 * console to one kernel's run (a resumed userspace dumps dmesg after it).
 */
const PM_LINE =
  /^(?:Checking wakeup interrupts|Calling (?:\w+\+0x[0-9a-f]+\/0x[0-9a-f]+|0x[0-9a-f]+)|OOM killer (?:dis|en)abled\.|PM: S\||ACPI: (?:PM: )?(?:Preparing to enter|Saving platform|Restoring platform|Waking up)|reboot: Power down|Disabling non-boot CPUs|PM: hibernation: hibernation (?:entry|exit)|Restarting tasks|PM: (?:\w+ )?(?:freeze|thaw|quiesce|restore|hibernate) of devices complete|PM: (?:hibernation: )?Basic memory bitmaps|PM: (?:hibernation: )?Marking nosave)/;

export function pmSequence(text: string, from: RegExp, until?: RegExp): string[] {
  const out: string[] = [];
  let on = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^.*?\[\s*\d+\.\d+\] /, '').trimEnd();
    if (!on && from.test(line)) on = true;
    if (!on) continue;
    if (until?.test(raw)) break;
    // A raw "%pS" address (no KALLSYMS) moves with the KASLR virtual offset, which the model
    // does not draw (2 MiB aligned): compare its offset inside the 2 MiB instead.
    if (PM_LINE.test(line))
      out.push(
        line
          .replace(/ after [\d.]+ msecs$/, '')
          .replace(
            /^Calling 0x([0-9a-f]+)$/,
            (_s, a: string) => `Calling +0x${(BigInt(`0x${a}`) % 0x200000n).toString(16)}`,
          ),
      );
  }
  return out;
}
