/**
 * The report of `hiblab run`: both consoles and the verdict as text, or the
 * JSON object with stable keys. Platform neutral — a browser or a sweep gets
 * the same bytes as the CLI.
 *
 * JSON keys (stable):
 *   scenario, verdict ('resumed'|'refused'|'oops'|'silent-corruption'|'hibernate-failed'),
 *   reason, plan (true for `--plan`: no page contents, compression or I/O),
 *   expected {outcome, ok, missing[]} | null,
 *   suspend {profile, console[], image {nrCopyPages, nrMetaPages, nrZeroPages, pages,
 *            flags, crc32 (null in plan mode: not computed), compressedBytes, chunks,
 *            estimated (true: compressedBytes is plan mode's estimate)} | null, oops | null},
 *   resume {profile, console[], stats {streamPages, nrMetaPages, nrCopyPages, nrZeroPages,
 *           direct, viaPbe, loaded, threads, compressor}, oops | null,
 *           silentWrites[{pfn, imagePfn, how, e820}], verify {checked, ok, bad, firstBad} | null} | null,
 *   restoredConsole[] (what the image kernel prints after the jump back),
 * A scenario whose hibernated state is a real image (`suspend: { image: FILE }`) ran no
 * suspend boot: its suspend is {profile: null, console: [], oops: null, image {real: true,
 *   path, format, compressor, flags, flagNames[], crc32, nrCopyPages, nrMetaPages,
 *   nrZeroPages | null, pages, numPhyspages, compressedBytes | null, chunks | null,
 *   e820Checksum | null, estimated: false}}, and restoredConsole lines carry no timestamp
 *   (the image kernel's clock is in the image). The other keys are as above.
 *   hmm (HMM stories only: the driver, processes, steps, livelock, signal — src/report/hmm-story.ts)
 * Verdicts of HMM stories: 'completed', 'livelock', 'sigbus', 'sigsegv', 'data-lost' (and
 * 'resumed' etc. when the story hibernates). A story without a hibernate step has resume: null.
 */
import type { HibernateResult } from '../power/hibernate.js';
import type { RealImageInfo } from '../power/image/summary.js';
import type { Oops } from '../power/oops.js';
import type { ResumeResult } from '../power/resume.js';
import { hex, hex32 } from '../util/hex.js';
import { type HmmStoryReport, hmmStoryJson, hmmStoryLines } from './hmm-story.js';

/**
 * What the run report reads of a run: scenario/run.ts's RunResult has this
 * shape (the report sits below the scenario layer, so it names the fields it
 * needs instead of importing the type).
 */
export interface RunReportInput {
  scenario: { name: string };
  verdict: string;
  reason: string;
  suspend:
    | { image?: undefined; profile: string; console: string[]; hibernate?: HibernateResult; oops?: Oops }
    | {
        image: RealImageInfo;
        profile?: undefined;
        console: string[];
        hibernate?: undefined;
        oops?: undefined;
      };
  resume?: { profile: string; console: string[]; result: ResumeResult };
  restoredConsole: string[];
  expectation?: { ok: boolean; expected: string; missing: string[] };
  plan?: boolean;
  hmm?: HmmStoryReport;
}

/** An oops as JSON: addresses and registers as 0x strings, the page walk's entries. */
export function oopsJson(o: Oops | undefined) {
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

/** The verdict block: outcome, reason, image and resume counts, silent writes, expectation. */
export function verdictLines(r: RunReportInput): string[] {
  const out = [`verdict: ${r.verdict.toUpperCase()}`, `  ${r.reason}`];
  if (r.plan) out.push('  plan mode: no page contents, compression or I/O; numbers marked ~ are estimates');
  const real = r.suspend.image;
  if (real) {
    out.push(`  hibernated state: the real image ${real.path} (no suspend boot was modelled)`);
    out.push(
      `  image: ${real.nrCopyPages} pages copied, ${real.nrZeroPages ?? '?'} zero pages, ${real.nrMetaPages} meta pages; ` +
        `${real.compressor === 'none' ? 'uncompressed' : `${real.chunks ?? '?'} chunks, ${real.compressedBytes ?? '?'} bytes compressed (${real.compressor})`}`,
    );
  }
  const h = r.suspend.hibernate;
  if (h) {
    const size = h.write.estimated
      ? `~${h.write.compressedBytes} bytes compressed (estimate)`
      : `${h.write.compressedBytes} bytes compressed`;
    out.push(
      `  image: ${h.save.nrCopyPages} pages copied, ${h.save.nrZeroPages} zero pages, ${h.save.nrMetaPages} meta pages; ` +
        `${h.write.chunks ? `${h.write.chunks} chunks, ${size}` : 'uncompressed'}`,
    );
  }
  const rr = r.resume?.result;
  if (rr?.stats.loaded) {
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

/** The text report: both consoles (unless `quiet`), then the verdict block. */
export function runText(r: RunReportInput, opts: { quiet?: boolean } = {}): string {
  let out = '';
  for (const c of runTextChunks(r, opts)) out += c;
  return out;
}

/**
 * The text report in pieces of at most a few thousand console lines, for a
 * writer that should not hold the whole report (two consoles of a 100k-entry
 * e820 table are ~45 MB of text). Concatenated, the pieces are runText().
 */
export function* runTextChunks(r: RunReportInput, opts: { quiet?: boolean } = {}): Generator<string> {
  const real = r.suspend.image;
  if (!opts.quiet) {
    if (real) {
      yield `== ${r.scenario.name}: the hibernated state is a real image (no hibernating boot modelled) ==\n`;
      yield `${real.path}: ${real.format}; ${real.compressor}, flags 0x${real.flags.toString(16)}${real.flagNames.length ? ` (${real.flagNames.join(' ')})` : ''}\n`;
      yield `  ${real.nrCopyPages} image pages${real.nrZeroPages ? ` + ${real.nrZeroPages} zero pages (pfns only)` : ''}, ${real.nrMetaPages} meta pages, ${real.pages} pages in all; num_physpages ${real.numPhyspages}${real.e820Checksum === null ? '' : `, e820 CRC32 ${hex32(real.e820Checksum)}`}\n`;
    } else {
      const hibernated = !r.hmm || Boolean(r.suspend.hibernate);
      yield `== ${r.scenario.name}: ${hibernated ? 'hibernating boot' : 'boot'} (${r.suspend.profile}) ==\n`;
      yield* linesChunks(r.suspend.console);
    }
    if (r.resume) {
      yield `\n== resume boot (${r.resume.profile}) ==\n`;
      yield* linesChunks(r.resume.console);
    }
    if (r.restoredConsole.length) {
      yield `\n== the restored (image) kernel goes on${real ? ' (no timestamps: its clock is in the image)' : ''} ==\n`;
      yield* linesChunks(r.restoredConsole);
    }
    yield '\n';
  }
  if (r.hmm && !opts.quiet) yield `${hmmStoryLines(r.hmm).join('\n')}\n\n`;
  yield `${verdictLines(r).join('\n')}\n`;
}

/** Lines, each with its newline, joined 4096 at a time. */
function* linesChunks(lines: readonly string[]): Generator<string> {
  const N = 4096;
  if (lines.length === 0) yield '\n';
  for (let i = 0; i < lines.length; i += N) yield `${lines.slice(i, i + N).join('\n')}\n`;
}

/** `suspend` of a run whose hibernated state is a real image: no boot, the image. */
function realImageSuspendJson(i: RealImageInfo) {
  return {
    profile: null,
    console: [] as string[],
    image: {
      real: true,
      path: i.path,
      format: i.format,
      compressor: i.compressor,
      flags: i.flags,
      flagNames: i.flagNames,
      crc32: hex32(i.crc32),
      nrCopyPages: i.nrCopyPages,
      nrMetaPages: i.nrMetaPages,
      nrZeroPages: i.nrZeroPages,
      pages: i.pages,
      numPhyspages: i.numPhyspages,
      compressedBytes: i.compressedBytes,
      chunks: i.chunks,
      e820Checksum: i.e820Checksum === null ? null : hex32(i.e820Checksum),
      estimated: false,
    },
    oops: null,
  };
}

/** The JSON report (keys above). */
export function runJson(r: RunReportInput) {
  const h = r.suspend.hibernate;
  const rr = r.resume?.result;
  return {
    scenario: r.scenario.name,
    verdict: r.verdict,
    reason: r.reason,
    plan: Boolean(r.plan),
    expected: r.expectation
      ? { outcome: r.expectation.expected, ok: r.expectation.ok, missing: r.expectation.missing }
      : null,
    suspend: r.suspend.image
      ? realImageSuspendJson(r.suspend.image)
      : {
          profile: r.suspend.profile,
          console: r.suspend.console,
          image: h
            ? {
                nrCopyPages: h.save.nrCopyPages,
                nrMetaPages: h.save.nrMetaPages,
                nrZeroPages: h.save.nrZeroPages,
                pages: h.write.pages,
                flags: h.write.flags,
                crc32: h.write.estimated ? null : `0x${(h.write.crc32 >>> 0).toString(16).padStart(8, '0')}`,
                compressedBytes: h.write.compressedBytes,
                chunks: h.write.chunks,
                estimated: Boolean(h.write.estimated),
              }
            : null,
          oops: oopsJson(r.suspend.oops),
        },
    resume:
      r.resume && rr
        ? {
            profile: r.resume.profile,
            console: r.resume.console,
            stats: {
              streamPages: rr.stats.streamPages,
              nrMetaPages: rr.stats.nrMetaPages,
              nrCopyPages: rr.stats.nrCopyPages,
              nrZeroPages: rr.stats.nrZeroPages,
              direct: rr.stats.direct,
              viaPbe: rr.stats.viaPbe,
              loaded: rr.stats.loaded,
              threads: rr.stats.threads,
              compressor: rr.stats.compressor,
            },
            oops: oopsJson(rr.oops),
            silentWrites: rr.silentWrites.map((w) => ({
              pfn: w.pfn,
              imagePfn: w.imagePfn,
              how: w.how,
              e820: w.e820,
            })),
            verify: rr.verify
              ? {
                  checked: rr.verify.checked,
                  ok: rr.verify.ok,
                  bad: rr.verify.bad,
                  firstBad: rr.verify.firstBad ?? null,
                }
              : null,
          }
        : null,
    restoredConsole: r.restoredConsole,
    // Only HMM stories have the key, so the other runs' JSON stays as it was.
    ...(r.hmm ? { hmm: hmmStoryJson(r.hmm) } : {}),
  };
}
