/**
 * A real swap image as the hibernated state: boot the resume kernel on a
 * modelled machine (the firmware table and command line of a real log, the
 * profile of that log's kernel unless told otherwise) and run its
 * software_resume() over the real image. This answers the question of a user
 * with a real swap partition and a changed boot (new firmware, memmap=, mem=,
 * another kernel): does that kernel resume it, refuse it (which check), oops
 * in the loader (which function, address, pfn), write silently into a frame it
 * reserved, or fail with -EFAULT?
 *
 * The image is read through an overlay: the kernel's signature reset never
 * reaches the file. Platform neutral (the caller opens the file).
 */
import { bootMachine, e820EndOfRamPfn, type Machine } from '../machine/boot.js';
import { HostBudget } from '../mm/host-budget.js';
import type { ChunkPool } from '../power/compress/pool.js';
import { KernelConsole } from '../power/console.js';
import { OverlayDevice, type ReadSource } from '../power/image/source.js';
import { type ResumeResult, softwareResume } from '../power/resume.js';
import { getProfile, type KernelProfile } from '../profiles/index.js';
import { ContentMap } from '../workload/content-map.js';
import { checkModelSize, DEFAULT_HOST_BUDGET_BYTES, DEFAULT_MAX_MODEL_BYTES } from './limits.js';
import { profileForLog, resolveE820 } from './resolve.js';
import type { ResumeVia } from './types.js';

export interface ResumeImageOptions {
  /** The boot log (or /proc/iomem, QEMU etc/e820, JSON) giving the firmware e820 table. */
  e820: { text: string | Uint8Array; name: string; boot?: number };
  /** Resume kernel command line; default the log's own "Command line:". */
  cmdline?: string;
  /** Profile id; default from the log's "Linux version", else linux-6.12. */
  profile?: string;
  /** initcall (resume= built in) or sysfs (initramfs writes /sys/power/resume from PID 1). */
  via?: ResumeVia;
  pool?: ChunkPool;
  cpus?: number;
  /** Largest physical address space (max_pfn × 4 KiB) to model; default limits.ts's (`--max-ram`). */
  maxModelBytes?: number;
  /**
   * Host memory the model's per-page state may take (mm/host-budget.ts; `--max-mem`): a model
   * whose structures need more stops with MODEL_HOST_MEMORY instead of growing without bound.
   * A restored data page costs no page of host memory (it reads back from the image,
   * power/image-frames.ts): ~12 bytes per frame. Default limits.ts's.
   */
  maxHostBytes?: number;
  /**
   * Restored data pages read their bytes back from `image` (default true; power/image-frames.ts),
   * so `image` must stay readable while the result's machine is read. false: each is a 4 KiB
   * host buffer, counted against maxHostBytes, and `image` may be closed at once.
   */
  framesFromImage?: boolean;
  /** What a MODEL_HOST_MEMORY error names: the image's path (default: the log's). */
  imageName?: string;
}

export interface ResumeImageResult {
  profile: KernelProfile;
  /** The boot machine after the resume. Its restored data pages read from `image`: keep it open while you read them. */
  machine: Machine;
  console: string[];
  result: ResumeResult;
  /** The kernel's own words for a refusal ("Image mismatch: …", "Hibernate inconsistent memory map detected!"). */
  messages: string[];
}

export async function resumeImage(image: ReadSource, o: ResumeImageOptions): Promise<ResumeImageResult> {
  const profile = o.profile !== undefined ? getProfile(o.profile) : profileForLog(o.e820.text);
  const r = resolveE820(
    { file: o.e820.name, ...(o.e820.boot !== undefined ? { boot: o.e820.boot } : {}) },
    {
      readFile: () => o.e820.text,
      baseDir: '',
      profile,
      ...(o.cmdline !== undefined ? { cmdline: o.cmdline } : {}),
      scenarioFile: o.e820.name,
      which: 'resume',
    },
  );
  const nokaslr = r.kernel.kernelFixed;
  // The limits of `hiblab run` (limits.ts): the machine size before the boot, then a counted
  // budget for what the boot and the image's pages make the model hold.
  checkModelSize(
    o.e820.name,
    'resume',
    e820EndOfRamPfn(r.kernel.kernel, profile),
    o.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES,
    'hiblab resume',
  );
  const budget = new HostBudget(
    o.maxHostBytes ?? DEFAULT_HOST_BUDGET_BYTES,
    o.imageName ?? o.e820.name,
    'hiblab resume --max-mem SIZE',
  );
  budget.stage = 'the resume boot';
  const machine = bootMachine(r.kernel, {
    profile,
    kaslr: nokaslr ? { nokaslr: true } : { seed: 1 },
    budget,
  });
  const con = new KernelConsole(0);
  for (const l of machine.log) con.print(l);
  con.advanceMs(2000);
  const content = new ContentMap(budget);
  machine.mem.setProvider(content);
  const via = o.via ?? 'initcall';
  const result = await softwareResume(machine, {
    console: con,
    device: new OverlayDevice(image),
    // An initramfs /init writing /sys/power/resume runs as PID 1.
    trigger: via === 'sysfs' ? { via, process: 'init', pid: 1 } : { via: 'initcall' },
    pool: o.pool,
    cpus: o.cpus ?? 1,
    content,
    imageFrames: o.framesFromImage ?? true,
  });
  const messages = con.lines
    .map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''))
    .filter((l) =>
      /Image mismatch|inconsistent memory map|Firmware Bug|Error -\d+ resuming|resume failed/.test(l),
    );
  return { profile, machine, console: con.lines, result, messages };
}
