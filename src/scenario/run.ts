/**
 * Run a scenario end to end: boot the hibernating machine, place its
 * workload, hibernate into a swap device, boot again (maybe with another
 * firmware map or kernel options), place the boot kernel's own memory, and
 * resume — reporting what the chosen kernels would do. Platform neutral:
 * files, the swap device and worker threads are injected (src/node/ and the
 * CLI supply Node implementations; tests use in-memory ones).
 */

import { setDirectMapInvalid } from '../arch/x86/cpa.js';
import type { KaslrOptions } from '../arch/x86/kaslr.js';
import { ScenarioError } from '../errors.js';
import { bootMachine, e820EndOfRamPfn, type Machine } from '../machine/boot.js';
import { type MmCounters, mmCounters } from '../machine/state.js';
import { globalsPfnRange } from '../machine/symbols.js';
import { HostBudget } from '../mm/host-budget.js';
import type { ChunkPool } from '../power/compress/pool.js';
import { KernelConsole } from '../power/console.js';
import { type ConsoleBoot, type EventSink, inPhase } from '../power/events.js';
import { HibernateOops, type HibernateResult, hibernate, hibernateFailedLines } from '../power/hibernate.js';
import { type BlockSink, OverlayDevice, type ReadSource } from '../power/image/source.js';
import type { Oops } from '../power/oops.js';
import { PlanSession } from '../power/plan/index.js';
import { type ResumeResult, type ResumeTrigger, softwareResume } from '../power/resume.js';
import type { HmmStoryReport } from '../report/hmm-story.js';
import { contentCalibration } from '../workload/calibration.js';
import { ContentKind } from '../workload/content.js';
import { ContentMap } from '../workload/content-map.js';
import { WorkloadPlacer } from '../workload/place.js';
import { type ImageOpener, openScenarioImage, type RealImageInfo } from './image-suspend.js';
import { checkModelSize, DEFAULT_HOST_BUDGET_BYTES, DEFAULT_MAX_MODEL_BYTES } from './limits.js';
import { deriveSeed } from './load.js';
import { type FileReader, resolveBoot } from './resolve.js';
import {
  type BootSpec,
  isImageSuspend,
  type KaslrSpec,
  modelledSuspend,
  type Outcome,
  type Scenario,
} from './types.js';

export type SwapDevice = ReadSource & BlockSink;

export interface RunIo {
  readFile: FileReader;
  baseDir: string;
  /** Make the swap device of `pages` pages (Node: a sparse file; default: memory). */
  device: (pages: number) => SwapDevice;
  /** Worker pools for the hibernating and the resuming kernel (optional: in-thread). */
  pool?: ChunkPool;
  /** Called once the image is on the device, before the resume boot touches it. */
  onImageWritten?: (device: SwapDevice) => void;
  /**
   * Opens a real swap image by path (`suspend.image` joined to baseDir) as a
   * ReadSource read page by page, never slurped (Node: openImageSource of
   * src/node/image-file.ts). Needed only by scenarios with `suspend.image`.
   */
  openImage?: ImageOpener;
  /**
   * The largest machine to model: a boot whose max_pfn × 4096 is above it is
   * refused (MODEL_TOO_LARGE) before anything is hibernated or resumed.
   * Default DEFAULT_MAX_MODEL_BYTES (./limits.ts).
   */
  maxModelBytes?: number;
  /**
   * Host memory the model's per-page state may take, counted by the model
   * (mm/host-budget.ts): a run whose scenario needs more stops with
   * MODEL_HOST_MEMORY. Default DEFAULT_HOST_BUDGET_BYTES.
   */
  maxHostBytes?: number;
  /** The run's budget: runScenario() makes one from maxHostBytes unless given one (to read its peak). */
  hostBudget?: HostBudget;
}

export interface BootReport {
  profile: string;
  console: string[];
  machine: Machine;
  content: ContentMap;
}

/** The modelled hibernating boot of a run. */
export type ModelSuspendReport = BootReport & {
  image?: undefined;
  hibernate?: HibernateResult;
  oops?: Oops;
  /** Page allocator state just before hibernate() and, when resumed, in the restored kernel. */
  mmBefore?: MmCounters;
  mmAfter?: MmCounters;
};

/**
 * A run whose hibernated state is a real image (`suspend.image`): no suspend
 * boot ran, so there is no machine, console, hibernate result or profile —
 * only the image. The absent members are typed `undefined` so a reader of a
 * modelled run's fields sees "absent", not a type error.
 */
export interface ImageSuspendReport {
  image: RealImageInfo;
  profile?: undefined;
  /** Always empty: the hibernating kernel's console is not part of an image. */
  console: string[];
  machine?: undefined;
  content?: undefined;
  hibernate?: undefined;
  oops?: undefined;
  mmBefore?: undefined;
  mmAfter?: undefined;
}

export interface RunResult {
  scenario: Scenario;
  verdict: Outcome;
  reason: string;
  /** The modelled hibernating boot, or (`suspend.image`) the real image that stands for it. */
  suspend: ModelSuspendReport | ImageSuspendReport;
  resume?: BootReport & { result: ResumeResult };
  device?: SwapDevice;
  /** What the image kernel prints after the jump back (resumed runs). */
  restoredConsole: string[];
  /** Does the verdict match scenario.expect? (undefined when it has none) */
  expectation?: { ok: boolean; expected: Outcome; missing: string[] };
  /** Plan mode (runScenario(…, {plan: true}) / planScenario()): no page contents, compression or I/O. */
  plan?: boolean;
  /** An HMM story's steps and findings (scenarios with `hmm:`). */
  hmm?: HmmStoryReport;
  /**
   * Closes what the result still reads from (`suspend.image`: the restored
   * frames read their bytes back from the image file, power/image-frames.ts).
   * Call it when done with the result's machines; absent when nothing is held.
   */
  release?: () => void;
}

/** The booted hibernating machine, as an HMM story sees it. */
export type SuspendBoot = ReturnType<typeof bootOne>;

/** Where an HMM story (hmm-story.ts) runs inside the engine's story. */
export interface RunHooks {
  /** After the suspend boot; a result ends the run there (no hibernate step, a livelock, …). */
  suspendBooted?(s: SuspendBoot): RunResult | undefined;
  /** The devices' freeze callbacks (dpm_suspend(PMSG_FREEZE)); the model runs them before preallocation. */
  freezeDevices?(): void;
  /** After the resume boot; the restored kernel goes on — returns the final result. */
  resumed?(r: RunResult, s: SuspendBoot): RunResult;
}

export interface RunOptions {
  /**
   * Plan mode: the same boots, snapshot and resume decisions, checks and
   * faults, without generating, compressing, writing or reading page data
   * (src/power/plan/). The compressed image size is an estimate.
   */
  plan?: boolean;
}

/** What a plan-mode run needs of RunIo: no swap device, no worker pool. */
export type PlanIo = Pick<RunIo, 'readFile' | 'baseDir' | 'maxModelBytes' | 'maxHostBytes' | 'hostBudget'>;

export function kaslrOptions(spec: KaslrSpec | undefined): KaslrOptions {
  if (spec === undefined) return {};
  if (spec === 'off') return { nokaslr: true };
  if ('seed' in spec) return { seed: spec.seed };
  const o: KaslrOptions = {
    pageOffsetBase: BigInt(spec.pageOffsetBase),
    vmemmapBase: BigInt(spec.vmemmapBase),
  };
  if (spec.vmallocBase) o.vmallocBase = BigInt(spec.vmallocBase);
  return o;
}

/** Send every line `con` prints to the sink as a console event of `boot`. */
function consoleEvents(con: KernelConsole, boot: ConsoleBoot, events: EventSink | undefined): void {
  con.onLine = events ? (line) => events({ type: 'console', boot, line }) : null;
}

function bootOne(
  sc: Scenario,
  which: 'suspend' | 'resume',
  io: RunIo,
  startSeconds: number,
  events: EventSink | undefined,
) {
  const spec: BootSpec = which === 'suspend' ? modelledSuspend(sc) : sc.resume;
  const r = resolveBoot(sc, which, io);
  // Unset only on an image scenario's resume boot: nokaslr on the effective command line
  // (the scenario's, else the log's own) turns memory KASLR off, as `hiblab resume` does.
  const kaslr =
    spec.kaslr ?? (r.kernel.kernelFixed ? 'off' : { seed: deriveSeed(sc.seed, `${which}.kaslr`) });
  // Before the boot: max_pfn is e820_end_of_ram_pfn() of the kernel's table (the boot's own value).
  checkModelSize(
    sc.name,
    which,
    e820EndOfRamPfn(r.kernel.kernel, r.profile),
    io.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES,
  );
  const budget = io.hostBudget;
  if (budget) budget.stage = `the ${which} boot`;
  const machine = bootMachine(r.kernel, { profile: r.profile, kaslr: kaslrOptions(kaslr), budget });
  const con = new KernelConsole(0);
  consoleEvents(con, which, events);
  for (const l of machine.log) con.print(l);
  con.advanceMs(startSeconds * 1000);
  const content = new ContentMap(budget ?? null);
  // The content map also answers for the kernel's own objects (struct pages, pglist_data, …).
  machine.mem.setProvider(content);
  // The kernel image [_text, _end) holds code and data, not zeros (the page
  // tables the boot wrote there stay as their real bytes).
  // Builds measured on the fixture images get their calibrated kernel text/data level.
  const img = machine.kernelImage;
  const kernelKind =
    machine.profile.build.calibration === null
      ? ContentKind.KERNEL
      : ContentKind.CALIBRATED + contentCalibration(machine.profile).kernel;
  // The globals' .data/.bss frames read zero where nothing wrote them (clear_bss()).
  const [gFirst, gEnd] = globalsPfnRange(machine);
  for (let pfn = Math.floor(img.textPhys / 4096); pfn < Math.ceil(img.endPhys / 4096); pfn++) {
    if (pfn >= gFirst && pfn < gEnd) continue;
    if (!machine.mem.isMaterialised(pfn)) content.set(pfn, kernelKind, sc.seed, pfn);
  }
  const placer = new WorkloadPlacer(machine, content, spec.workload?.seed ?? sc.seed);
  const fill = spec.workload ? placer.placeFixed(spec.workload) : undefined;
  return { r, machine, con, content, placer, fill };
}

/** Stream pages → a device size with room for the swap map (511 entries per map page) and page 0. */
export function devicePagesFor(streamPages: number): number {
  // enough_swap() (nocompress) wants PAGES_FOR_IO spare pages beyond the image.
  return streamPages + Math.ceil(streamPages / 511) + 1024 + 64;
}

/**
 * The writer of /sys/power/resume when a sysfs trigger names none: seed 000's
 * PID 318 (crash> bt of the resume boot, /work/shared/seeds/000_*.txt), and
 * "bash" for its name.
 */
const SYSFS_WRITER = { pid: 318, process: 'bash' };

/**
 * Run the story. `events` receives the run's structured events (phases,
 * progress, every console line, oops, verdict — see ../power/events.ts).
 */
export async function runScenario(
  sc: Scenario,
  io: RunIo,
  events?: EventSink,
  opts: RunOptions = {},
): Promise<RunResult> {
  if (opts.plan && sc.hmm)
    throw new ScenarioError(
      'PLAN_HMM',
      `${sc.name}: plan mode does not run HMM stories (their steps read page bytes)`,
    );
  if (opts.plan && isImageSuspend(sc.suspend))
    throw new ScenarioError(
      'PLAN_IMAGE',
      `${sc.name}: plan mode does not run scenarios with suspend.image (the real image's bytes are the input: run without plan mode)`,
    );
  const plan = opts.plan ? new PlanSession() : undefined;
  // One host-memory budget for the run: both boots' machines live until it returns.
  if (!io.hostBudget)
    io = { ...io, hostBudget: new HostBudget(io.maxHostBytes ?? DEFAULT_HOST_BUDGET_BYTES, sc.name) };
  const r = isImageSuspend(sc.suspend)
    ? await runImageStory(sc, io, events)
    : sc.hmm
      ? // Imported on use: the HMM story's driver and user-memory model are ~35 modules of start-up.
        await (await import('./hmm-story.js')).runHmmStory(sc, (hooks) =>
          runStory(sc, io, events, plan, hooks),
        )
      : await runStory(sc, io, events, plan);
  if (plan) r.plan = true;
  events?.({ type: 'verdict', verdict: r.verdict, reason: r.reason });
  return r;
}

/** runScenario() in plan mode: the run's decisions and verdict in a fraction of the time. */
export function planScenario(sc: Scenario, io: PlanIo, events?: EventSink): Promise<RunResult> {
  const noDevice = (): SwapDevice => {
    throw new ScenarioError('DEVICE', 'plan mode writes no swap device');
  };
  return runScenario(sc, { ...io, device: noDevice }, events, { plan: true });
}

async function runStory(
  sc: Scenario,
  io: RunIo,
  events: EventSink | undefined,
  plan: PlanSession | undefined,
  hooks?: RunHooks,
): Promise<RunResult> {
  // ---- the hibernating boot ----
  const s = await inPhase(events, 'suspend-boot', async () => bootOne(sc, 'suspend', io, 120, events));
  const early = hooks?.suspendBooted?.(s);
  if (early) return finish(sc, early);
  const hib = sc.hibernate ?? {};
  // Pages made not-present in the direct map before hibernation (secretmem-like users):
  // they are in use, so a free frame is taken for the purpose.
  for (const u of sc.faults?.unmapPagesAtSave ?? []) {
    for (let i = 0; i < (u.pages ?? 1); i++) {
      const pfn = u.pfn + i;
      if (s.machine.buddy.takePage(pfn)) s.content.set(pfn, ContentKind.RANDOM, sc.seed, pfn);
      if (!setDirectMapInvalid(s.machine, pfn, u.huge ?? false)) {
        throw new ScenarioError(
          'UNMAP_FAILED',
          `faults.unmapPagesAtSave: pfn 0x${pfn.toString(16)} is not in the direct map`,
        );
      }
    }
  }
  const target = modelledSuspend(sc).workload?.targetCopyPages;
  let device: SwapDevice | undefined;
  let hres: HibernateResult;
  // Without a fill group nothing is allocated between here and the snapshot, so this
  // is the state the image kernel must find again after a resume.
  const mmBefore = s.fill ? undefined : mmCounters(s.machine);
  try {
    hres = await inPhase(events, 'hibernate', () =>
      hibernate(s.machine, s.content, {
        events,
        compressor: hib.compressor ?? 'lzo',
        cpus: hib.cpus ?? 2,
        threads: hib.threads,
        imageSize: typeof hib.imageSize === 'number' ? hib.imageSize : undefined,
        platformMode: hib.platformMode,
        pool: io.pool,
        console: s.con,
        swapUuidSeed: sc.seed,
        deferSwsuspFree: true,
        faults: { cpaSplitFails: sc.faults?.cpaSplitFails, fixmapSave: sc.faults?.fixmapSave },
        devicePages: (n) => {
          if (!plan) device = io.device(devicePagesFor(n));
          return devicePagesFor(n);
        },
        planWriter: plan?.writer,
        sink: {
          writePage: (p, b) => {
            if (!device) throw new ScenarioError('DEVICE', 'swap device not created');
            return device.writePage(p, b);
          },
          // The writer lays chunks out in runs (and takes the pool's ready-made records)
          // only for a sink with writePages(): without it every page went through its own
          // writePage() and buffer.
          writePages: (p, b) => {
            if (!device) throw new ScenarioError('DEVICE', 'swap device not created');
            if (device.writePages) return device.writePages(p, b);
            const d = device;
            return (async () => {
              for (let i = 0; i * 4096 < b.length; i++)
                await d.writePage(p + i, b.subarray(i * 4096, (i + 1) * 4096));
            })();
          },
        },
        beforePreallocate: (saveableNow) => {
          hooks?.freezeDevices?.();
          if (target === undefined || !s.fill) return;
          const now = saveableNow();
          const need = target - now;
          if (need < 0) {
            throw new ScenarioError(
              'WORKLOAD_TOO_BIG',
              `workload.targetCopyPages is ${target} but the fixed groups already make ${now} saveable pages`,
            );
          }
          s.placer.place(s.fill, need);
        },
      }),
    );
  } catch (e) {
    if (e instanceof HibernateOops) {
      events?.({ type: 'oops', boot: 'suspend', oops: e.oops });
      return finish(sc, {
        scenario: sc,
        verdict: 'hibernate-failed',
        reason: e.oops.reason,
        suspend: {
          profile: s.r.profile.id,
          console: s.con.lines,
          machine: s.machine,
          content: s.content,
          oops: e.oops,
        },
        restoredConsole: [],
      });
    }
    if (e instanceof ScenarioError && e.code === 'HIBERNATE_ENOMEM') {
      s.con.print(e.message);
      for (const l of hibernateFailedLines(s.machine)) s.con.print(l);
      return finish(sc, {
        scenario: sc,
        verdict: 'hibernate-failed',
        reason: e.message,
        suspend: { profile: s.r.profile.id, console: s.con.lines, machine: s.machine, content: s.content },
        restoredConsole: [],
      });
    }
    throw e;
  }
  const suspend = {
    profile: s.r.profile.id,
    console: s.con.lines,
    machine: s.machine,
    content: s.content,
    hibernate: hres,
    mmBefore,
    mmAfter: undefined as MmCounters | undefined,
  };
  if (plan) device = plan.device();
  else if (device) io.onImageWritten?.(device);

  // ---- the resuming boot ----
  const b = await inPhase(events, 'resume-boot', async () => bootOne(sc, 'resume', io, 6.9, events));
  const rres = await inPhase(events, 'resume', () =>
    softwareResume(b.machine, {
      console: b.con,
      device: device!,
      trigger: resumeTrigger(sc),
      pool: io.pool,
      cpus: hib.cpus ?? 2,
      content: b.content,
      imageContent: s.content,
      imageKernel: s.machine,
      manifest: hres.manifest,
      faults: { noTempPageTables: sc.faults?.noTempPageTables },
      events,
      pageIo: plan?.resumeIo(),
    }),
  );
  // After a successful jump the image kernel prints on, in its own time line.
  const mark = s.con.lines.length;
  if (rres.outcome === 'resumed' || rres.outcome === 'silent-corruption') {
    // The restored kernel goes on in hibernation_snapshot(): swsusp_free() (the
    // copy frames go back), then hibernate() thaws and free_basic_memory_bitmaps().
    // Frames of the resume boot that hold copies of this kernel's memmap now read
    // its live memmap, which is what they are after the jump.
    hres.mem.swsuspFree();
    hres.mem.freeBasicMemoryBitmaps(() => undefined);
    if (mmBefore) suspend.mmAfter = mmCounters(s.machine);
  }
  consoleEvents(s.con, 'restored', events);
  for (const l of rres.afterRestore) s.con.print(l);
  const restoredConsole = s.con.lines.splice(mark);
  const verdict: Outcome = rres.outcome === 'no-image' ? 'refused' : rres.outcome;
  const result: RunResult = {
    scenario: sc,
    verdict,
    reason: rres.reason,
    suspend,
    resume: resumeReport(b, rres),
    restoredConsole,
    device,
  };
  return finish(sc, hooks?.resumed ? hooks.resumed(result, s) : result);
}

/** Who calls software_resume(): the late initcall, or PID 1 writing /sys/power/resume. */
function resumeTrigger(sc: Scenario): ResumeTrigger {
  const trig = sc.resume.resumeTrigger ?? { via: 'initcall' as const };
  return trig.via === 'sysfs'
    ? { via: 'sysfs', process: trig.process ?? SYSFS_WRITER.process, pid: trig.pid ?? SYSFS_WRITER.pid }
    : { via: 'initcall' };
}

/**
 * The story of an image scenario: no hibernating boot — the real image
 * (`suspend.image`) is the hibernated state. The resume boot is booted as in
 * any scenario and runs software_resume() over the image through an overlay
 * (the kernel's signature reset goes to memory, never to the file), so the
 * image's own pfn set, zero pages and page contents are what it loads.
 * Nothing to verify against: a model run's digests come from its own suspend
 * boot; the image's CRC32 is checked by the loader (6.x compressed images).
 */
async function runImageStory(sc: Scenario, io: RunIo, events: EventSink | undefined): Promise<RunResult> {
  const img = openScenarioImage(sc, io);
  // The restored frames read from the image: it stays open until the result is released.
  let held = false;
  try {
    const device = new OverlayDevice(img.src);
    const b = await inPhase(events, 'resume-boot', async () => bootOne(sc, 'resume', io, 6.9, events));
    const rres = await inPhase(events, 'resume', () =>
      softwareResume(b.machine, {
        console: b.con,
        device,
        trigger: resumeTrigger(sc),
        pool: io.pool,
        // The resume boot's CPUs (the decompression thread rule): one, as `hiblab resume`.
        cpus: 1,
        content: b.content,
        faults: { noTempPageTables: sc.faults?.noTempPageTables },
        events,
        imageFrames: true,
      }),
    );
    // The image kernel's clock is in the image, not in the model: its lines after the jump
    // back are printed without a timestamp.
    const restoredConsole: string[] = [];
    for (const l of rres.afterRestore) {
      restoredConsole.push(l);
      events?.({ type: 'console', boot: 'restored', line: l });
    }
    const result = finish(sc, {
      scenario: sc,
      verdict: rres.outcome === 'no-image' ? 'refused' : rres.outcome,
      reason: rres.reason,
      suspend: { image: img.info, console: [] },
      resume: resumeReport(b, rres),
      restoredConsole,
      device,
    });
    held = true;
    return { ...result, release: () => img.src.close?.() };
  } finally {
    if (!held) img.src.close?.();
  }
}

/** The resume side of a run's result: the booted resume kernel and what its resume did. */
function resumeReport(
  b: ReturnType<typeof bootOne>,
  result: ResumeResult,
): BootReport & { result: ResumeResult } {
  return { profile: b.r.profile.id, console: b.con.lines, machine: b.machine, content: b.content, result };
}

function finish(sc: Scenario, r: RunResult): RunResult {
  if (sc.expect) {
    const text = [...r.suspend.console, ...(r.resume?.console ?? [])].join('\n');
    const missing = (sc.expect.contains ?? []).filter((c) => !text.includes(c));
    r.expectation = {
      ok: r.verdict === sc.expect.outcome && missing.length === 0,
      expected: sc.expect.outcome,
      missing,
    };
  }
  return r;
}
