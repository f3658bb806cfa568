/**
 * `hiblab run <scenario|builtin>`: hibernate a model machine and resume it as
 * the scenario's kernels would, printing both boots' consoles and a verdict.
 *
 * Exit status: 0 when the scenario ran (whatever the verdict) and matched its
 * `expect` (or has none); 1 when the verdict contradicts `expect`; 2 for bad
 * input.
 *
 * JSON keys (stable):
 *   scenario, verdict ('resumed'|'refused'|'oops'|'silent-corruption'|'hibernate-failed'),
 *   reason, expected {outcome, ok, missing[]} | null,
 *   suspend {profile, console[], image {nrCopyPages, nrMetaPages, nrZeroPages, pages,
 *            flags, crc32, compressedBytes, chunks} | null, oops | null},
 *   resume {profile, console[], stats {streamPages, nrMetaPages, nrCopyPages, nrZeroPages,
 *           direct, viaPbe, loaded, threads, compressor}, oops | null,
 *           silentWrites[{pfn, imagePfn, how, e820}], verify {checked, ok, bad, firstBad} | null} | null,
 *   restoredConsole[] (what the image kernel prints after the jump back)
 */

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { NodeChunkPool } from '../../node/compress-pool.js';
import {
  assertWritable,
  publishFile,
  readE820Input,
  readTextInput,
  tempPathFor,
  writeFileAtomic,
} from '../../node/files.js';
import { FileSwapDevice } from '../../node/swap-file.js';
import { makeDump } from '../../power/dump.js';
import type { Oops } from '../../power/oops.js';
import { getProfile } from '../../profiles/index.js';
import {
  BUILTIN_BASE_DIR,
  builtinReader,
  dirName,
  getBuiltinEntry,
  isBuiltin,
  loadScenario,
  SCENARIO_MAX_BYTES,
  type Scenario,
} from '../../scenario/index.js';
import { type RunResult, runScenario } from '../../scenario/run.js';
import { hex } from '../../util/hex.js';
import { type CliIo, toJson } from '../io.js';
import { progressBar } from '../progress.js';

interface RunOpts {
  json?: boolean;
  image?: string;
  dump?: string;
  force?: boolean;
  profile?: string;
  threads?: string;
  quiet?: boolean;
}

function oopsJson(o: Oops | undefined) {
  if (!o) return null;
  return {
    address: hex(o.address),
    function: o.func,
    offset: o.offset,
    rip: hex(o.rip),
    pid: o.pid,
    comm: o.comm,
    errorCode: o.errorCode,
    regs: Object.fromEntries(Object.entries(o.regs).map(([k, v]) => [k, hex(v as bigint)])),
    trace: o.trace,
    walk: o.walk.steps.map((s) => ({
      level: s.level,
      index: s.index,
      entryAddr: s.entryAddr,
      value: hex(s.value),
    })),
    reason: o.reason,
  };
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

/** Override the kernel profile of both boots (e.g. run same-map on linux-6.12). */
export function withProfile(sc: Scenario, profile: string): Scenario {
  getProfile(profile);
  return { ...sc, profile, suspend: { ...sc.suspend, profile }, resume: { ...sc.resume, profile } };
}

function verdictLines(r: RunResult): string[] {
  const out = [`verdict: ${r.verdict.toUpperCase()}`, `  ${r.reason}`];
  const h = r.suspend.hibernate;
  if (h) {
    out.push(
      `  image: ${h.save.nrCopyPages} pages copied, ${h.save.nrZeroPages} zero pages, ${h.save.nrMetaPages} meta pages; ` +
        `${h.write.chunks ? `${h.write.chunks} chunks, ${h.write.compressedBytes} bytes compressed` : 'uncompressed'}`,
    );
  }
  const rr = r.resume?.result;
  if (rr && rr.stats.loaded) {
    out.push(
      `  resume: ${rr.stats.loaded} of ${rr.stats.streamPages} stream pages loaded; ${rr.stats.direct} image pages straight into their original frames, ${rr.stats.viaPbe} through safe pages + PBEs`,
    );
  }
  if (rr?.verify)
    out.push(`  verify: ${rr.verify.ok}/${rr.verify.checked} restored pages match the hibernated ones`);
  for (const w of rr?.silentWrites.slice(0, 5) ?? []) {
    out.push(
      `  overwrote frame 0x${w.pfn.toString(16)} (${w.e820}) with image pfn 0x${w.imagePfn.toString(16)} by ${w.how}`,
    );
  }
  if (r.expectation) {
    out.push(
      `  expected: ${r.expectation.expected}${r.expectation.ok ? ' (matches)' : ` (MISMATCH${r.expectation.missing.length ? `; missing: ${r.expectation.missing.join(' | ')}` : ''})`}`,
    );
  }
  return out;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('run')
    .description(
      'hibernate a model machine and resume it as the scenario says: both consoles, then a verdict',
    )
    .argument('<scenario>', "a builtin scenario name (see 'hiblab scenarios') or a scenario .yaml file")
    .option('--json', 'print JSON with stable keys instead of text')
    .option('--image <file>', 'keep the swap device with the image as hibernation wrote it')
    .option(
      '--dump <file>',
      'write the final machine (hiblab-dump v2: memory, symbols, consoles, oops) for post-mortem inspection',
    )
    .option('--force', 'overwrite --image / --dump files that exist')
    .option('--profile <id>', 'run both boots with this kernel profile (linux-3.10 | linux-6.12)')
    .option(
      '--threads <n>',
      'worker threads for compression/decompression (default: the kernel rule, 1 on 2 CPUs)',
    )
    .option('--quiet', 'print only the verdict (text mode)')
    .action(async (arg: string, opts: RunOpts) => {
      let { sc, yaml, baseDir, readFile } = loadScenarioArg(arg);
      if (opts.profile) sc = withProfile(sc, opts.profile);
      if (opts.image) assertWritable(opts.image, Boolean(opts.force));
      if (opts.dump) assertWritable(opts.dump, Boolean(opts.force));
      const threads = opts.threads ? Number(opts.threads) : undefined;
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 16)) {
        throw new UsageError('BAD_ARGUMENT', `--threads expects 1..16, got '${opts.threads}'`);
      }
      const pool = new NodeChunkPool({ threads: threads ?? 1 });
      // A bar on a terminal for the two long phases, driven by the kernel's own progress lines.
      const bars = { saving: progressBar(io, 'writing image'), loading: progressBar(io, 'loading image') };
      let dev: FileSwapDevice | undefined;
      try {
        const r = await runScenario(sc, {
          readFile,
          baseDir,
          pool,
          device: (pages) => {
            // With --image the device is a hidden temp file next to the target, renamed when done.
            dev = new FileSwapDevice(pages, opts.image ? tempPathFor(opts.image) : undefined);
            return dev;
          },
          onImageWritten: () => dev?.seal(),
          onConsole: (_boot, line) => {
            const m = /^PM: Image (saving|loading) progress: +(\d+)%/.exec(line);
            if (m) bars[m[1] as 'saving' | 'loading']?.(Number(m[2]), 100);
            else if (/^PM: Image (saving|loading) done/.test(line))
              bars[line.includes('saving') ? 'saving' : 'loading']?.(100, 100);
          },
        });
        if (opts.image && dev) {
          dev.close();
          // Publish the finished image under its final name, never over a file that appeared meanwhile.
          const done = dev;
          dev = undefined;
          publishFile(done.path, opts.image, Boolean(opts.force));
        }
        if (opts.dump) {
          const rr = r.resume?.result;
          const last = r.resume ?? r.suspend;
          writeFileAtomic(
            opts.dump,
            makeDump({
              scenarioName: sc.name,
              scenarioYaml: yaml,
              verdict: r.verdict,
              reason: r.reason,
              machine: last.machine,
              content: last.content,
              oops: rr?.oops ?? r.suspend.oops,
              stats: rr?.stats,
              console: { suspend: r.suspend.console, resume: r.resume?.console ?? [] },
            }),
            Boolean(opts.force),
          );
        }
        if (r.expectation && !r.expectation.ok) io.exitCode = 1;
        if (opts.json) {
          const h = r.suspend.hibernate;
          const rr = r.resume?.result;
          io.out(
            toJson({
              scenario: sc.name,
              verdict: r.verdict,
              reason: r.reason,
              expected: r.expectation
                ? { outcome: r.expectation.expected, ok: r.expectation.ok, missing: r.expectation.missing }
                : null,
              suspend: {
                profile: r.suspend.profile,
                console: r.suspend.console,
                image: h
                  ? {
                      nrCopyPages: h.save.nrCopyPages,
                      nrMetaPages: h.save.nrMetaPages,
                      nrZeroPages: h.save.nrZeroPages,
                      pages: h.write.pages,
                      flags: h.write.flags,
                      crc32: `0x${(h.write.crc32 >>> 0).toString(16).padStart(8, '0')}`,
                      compressedBytes: h.write.compressedBytes,
                      chunks: h.write.chunks,
                    }
                  : null,
                oops: oopsJson(r.suspend.oops),
              },
              resume: r.resume
                ? {
                    profile: r.resume.profile,
                    console: r.resume.console,
                    stats: {
                      streamPages: rr!.stats.streamPages,
                      nrMetaPages: rr!.stats.nrMetaPages,
                      nrCopyPages: rr!.stats.nrCopyPages,
                      nrZeroPages: rr!.stats.nrZeroPages,
                      direct: rr!.stats.direct,
                      viaPbe: rr!.stats.viaPbe,
                      loaded: rr!.stats.loaded,
                      threads: rr!.stats.threads,
                      compressor: rr!.stats.compressor,
                    },
                    oops: oopsJson(rr!.oops),
                    silentWrites: rr!.silentWrites.map((w) => ({
                      pfn: w.pfn,
                      imagePfn: w.imagePfn,
                      how: w.how,
                      e820: w.e820,
                    })),
                    verify: rr!.verify
                      ? {
                          checked: rr!.verify.checked,
                          ok: rr!.verify.ok,
                          bad: rr!.verify.bad,
                          firstBad: rr!.verify.firstBad ?? null,
                        }
                      : null,
                  }
                : null,
              restoredConsole: r.restoredConsole,
            }),
          );
          return;
        }
        if (!opts.quiet) {
          io.out(`== ${sc.name}: hibernating boot (${r.suspend.profile}) ==\n`);
          io.out(`${r.suspend.console.join('\n')}\n`);
          if (r.resume) {
            io.out(`\n== resume boot (${r.resume.profile}) ==\n`);
            io.out(`${r.resume.console.join('\n')}\n`);
          }
          if (r.restoredConsole.length) {
            io.out(`\n== the restored (image) kernel goes on ==\n`);
            io.out(`${r.restoredConsole.join('\n')}\n`);
          }
          io.out('\n');
        }
        io.out(`${verdictLines(r).join('\n')}\n`);
      } finally {
        await pool.close();
        dev?.remove();
      }
    });
}
