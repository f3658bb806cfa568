/**
 * `hiblab run <scenario|builtin>`: hibernate a model machine and resume it as
 * the scenario's kernels would, printing both boots' consoles and a verdict.
 *
 * Exit status: 0 when the scenario ran (whatever the verdict) and matched its
 * `expect` (or has none); 1 when the verdict contradicts `expect`; 2 for bad
 * input.
 *
 * JSON keys (stable): see src/report/run.ts, which builds both reports.
 *
 * `--plan` runs the same story in plan mode (src/power/plan/): no page is
 * generated, compressed, written or read, the compressed size is an
 * estimate; `--image` and `--dump` need page bytes and are refused with it.
 *
 * A scenario with `suspend: { image: FILE }` resumes a real image (no
 * hibernating boot): `--plan` (no bytes to read the image with) and `--image`
 * (nothing is written to keep) are refused; `--dump` writes the resume boot;
 * `--profile` sets the resume kernel only.
 */

import type { Command } from 'commander';
import { ModelError, UsageError } from '../../errors.js';
import { defaultHostThreads, NodeChunkPool } from '../../node/compress-pool.js';
import {
  AtomicFileWriter,
  assertWritable,
  publishFile,
  readE820Input,
  readTextInput,
  tempPathFor,
} from '../../node/files.js';
import { openImageSource } from '../../node/image-file.js';
import { FileSwapDevice } from '../../node/swap-file.js';
import { writeDump } from '../../power/dump.js';
import type { EventSink } from '../../power/events.js';
import { getProfile } from '../../profiles/index.js';
import { runJson, runTextChunks } from '../../report/run.js';
import {
  BUILTIN_BASE_DIR,
  builtinReader,
  dirName,
  getBuiltinEntry,
  isBuiltin,
  isImageSuspend,
  loadScenario,
  SCENARIO_MAX_BYTES,
  type Scenario,
} from '../../scenario/index.js';
import { runScenario } from '../../scenario/run.js';
import { type CliIo, toJson } from '../io.js';
import { MAX_MEM_HELP, MAX_RAM_HELP, parseMaxMem, parseMaxRam } from '../limits.js';
import { progressBar } from '../progress.js';

interface RunOpts {
  json?: boolean;
  image?: string;
  dump?: string;
  force?: boolean;
  profile?: string;
  threads?: string;
  quiet?: boolean;
  plan?: boolean;
  maxRam?: string;
  maxMem?: string;
}

export function loadScenarioArg(arg: string): {
  sc: Scenario;
  yaml: string;
  baseDir: string;
  readFile: (p: string) => string | Uint8Array;
} {
  if (isBuiltin(arg)) {
    const e = getBuiltinEntry(arg);
    return { sc: e.scenario, yaml: e.yaml, baseDir: BUILTIN_BASE_DIR, readFile: builtinReader };
  }
  if (!/\.ya?ml$/i.test(arg)) {
    throw new UsageError(
      'BAD_ARGUMENT',
      `expected a scenario .yaml file or a builtin name (see 'hiblab scenarios'), got '${arg}'`,
    );
  }
  const yaml = readTextInput(arg, SCENARIO_MAX_BYTES, 'SCENARIO_TOO_LARGE');
  return { sc: loadScenario(yaml, arg), yaml, baseDir: dirName(arg), readFile: readE820Input };
}

/**
 * Override the kernel profile of both boots (e.g. run same-map on linux-6.12).
 * A real image (suspend.image) was written by its own kernel: only the resume boot changes.
 */
export function withProfile(sc: Scenario, profile: string): Scenario {
  getProfile(profile);
  const suspend = isImageSuspend(sc.suspend) ? sc.suspend : { ...sc.suspend, profile };
  return { ...sc, profile, suspend, resume: { ...sc.resume, profile } };
}

export function register(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(
      'hibernate a model machine and resume it as the scenario says: both consoles, then a verdict',
    )
    .argument('<scenario>', "a builtin scenario name (see 'hiblab scenarios') or a scenario .yaml file")
    .option('--json', 'print JSON with stable keys instead of text')
    .option(
      '--image <file>',
      'keep the swap device with the image as hibernation wrote it (not with suspend.image: that image is already a file)',
    )
    .option(
      '--dump <file>',
      'write the final machine (hiblab-dump v2: memory, symbols, consoles, oops) for post-mortem inspection',
    )
    .option('--force', 'overwrite --image / --dump files that exist')
    .option(
      '--profile <id>',
      'run both boots with this kernel profile (linux-3.10 | linux-6.1 | linux-6.12, or version/build: linux-6.12/tiny)',
    )
    .option(
      '--threads <n>',
      'host worker threads for compression/decompression (default: one per CPU, at most 3; the output does not change)',
    )
    .option('--quiet', 'print only the verdict (text mode)')
    .option('--max-ram <size>', MAX_RAM_HELP)
    .option('--max-mem <size>', MAX_MEM_HELP)
    .option(
      '--plan',
      'plan mode: the same boots, decisions, checks and verdict without page contents, compression or I/O (the compressed size is an estimate, marked ~); not with --image / --dump, nor a scenario with suspend.image',
    )
    .action(async (arg: string, opts: RunOpts) => {
      let { sc, yaml, baseDir, readFile } = loadScenarioArg(arg);
      if (opts.profile) sc = withProfile(sc, opts.profile);
      // The image and the dumped machine's restored frames are page bytes, which plan mode does not make.
      for (const [flag, what] of [
        ['image', 'the image bytes'],
        ['dump', 'the restored page bytes'],
      ] as const) {
        if (opts.plan && opts[flag]) {
          throw new UsageError(
            'PLAN_NEEDS_BYTES',
            `--${flag} needs ${what}, which plan mode does not make; run without --plan to write it`,
          );
        }
      }
      // A real image as the hibernated state: there is no image being written to keep, and
      // plan mode (no page bytes) cannot read one.
      if (isImageSuspend(sc.suspend)) {
        if (opts.plan)
          throw new UsageError(
            'PLAN_IMAGE',
            `--plan: ${arg} resumes a real image (suspend.image), whose bytes are the input; run without --plan`,
          );
        if (opts.image)
          throw new UsageError(
            'IMAGE_SCENARIO',
            `--image keeps the image a modelled hibernation writes; ${arg} resumes the real image '${sc.suspend.image}' (never written), which is already a file`,
          );
      }
      if (opts.image) assertWritable(opts.image, Boolean(opts.force));
      if (opts.dump) assertWritable(opts.dump, Boolean(opts.force));
      const maxModelBytes = opts.maxRam === undefined ? undefined : parseMaxRam(opts.maxRam);
      const maxHostBytes = opts.maxMem === undefined ? undefined : parseMaxMem(opts.maxMem);
      const threads = opts.threads ? Number(opts.threads) : undefined;
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 16)) {
        throw new UsageError('BAD_ARGUMENT', `--threads expects 1..16, got '${opts.threads}'`);
      }
      // Plan mode compresses nothing: no worker pool.
      const pool = opts.plan ? undefined : new NodeChunkPool({ threads: threads ?? defaultHostThreads() });
      // A bar on a terminal for the two long phases, driven by the engine's progress events.
      const bars = {
        'write-image': progressBar(io, 'writing image'),
        'load-image': progressBar(io, 'loading image'),
      };
      const events: EventSink | undefined = bars['load-image']
        ? (e) => {
            if (e.type === 'progress') bars[e.phase]?.(e.done, e.total);
          }
        : undefined;
      let dev: FileSwapDevice | undefined;
      // A real image's restored frames read from its file: closed when the dump and report are done.
      let release: (() => void) | undefined;
      try {
        const r = await runScenario(
          sc,
          {
            readFile,
            baseDir,
            pool,
            device: (pages) => {
              // With --image the device is a hidden temp file next to the target, renamed when done.
              dev = new FileSwapDevice(pages, opts.image ? tempPathFor(opts.image) : undefined);
              return dev;
            },
            onImageWritten: () => dev?.seal(),
            openImage: openImageSource,
            maxModelBytes,
            maxHostBytes,
          },
          events,
          { plan: opts.plan },
        );
        release = r.release;
        if (opts.image && dev) {
          dev.close();
          // Publish the finished image under its final name, never over a file that appeared meanwhile.
          const done = dev;
          dev = undefined;
          publishFile(done.path, opts.image, Boolean(opts.force));
        }
        if (opts.dump) {
          const rr = r.resume?.result;
          // The last machine that ran: the resume boot, else the modelled hibernating boot.
          const last = r.resume ?? (r.suspend.machine ? r.suspend : undefined);
          if (!last) throw new ModelError('DUMP_NO_MACHINE', `${sc.name}: no machine ran to dump`);
          // Streamed frame by frame into the temporary file, published when complete.
          const w = new AtomicFileWriter(opts.dump, Boolean(opts.force));
          try {
            writeDump(
              {
                scenarioName: sc.name,
                scenarioYaml: yaml,
                verdict: r.verdict,
                reason: r.reason,
                machine: last.machine,
                content: last.content,
                oops: rr?.oops ?? r.suspend.oops,
                stats: rr?.stats,
                console: { suspend: r.suspend.console, resume: r.resume?.console ?? [] },
              },
              w,
            );
            w.commit();
          } catch (e) {
            w.abort();
            throw e;
          }
        }
        if (r.expectation && !r.expectation.ok) io.exitCode = 1;
        if (opts.json) io.out(toJson(runJson(r)));
        else for (const chunk of runTextChunks(r, { quiet: opts.quiet })) io.out(chunk);
      } finally {
        release?.();
        await pool?.close();
        dev?.remove();
      }
    });
}
