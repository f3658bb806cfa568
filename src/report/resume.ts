/**
 * The report of `hiblab resume`: a real swap image resumed on a modelled boot.
 *
 * JSON keys (stable): image, e820 {file, boot}, profile, cmdline (string | null), via,
 *   verdict ('resumed'|'refused'|'oops'|'silent-corruption'|'no-image'), reason, errno | null,
 *   messages[], oops {function, offset, address, pfn | null} | null,
 *   silentWrites [{pfn, imagePfn, how, e820}], stats {streamPages, nrMetaPages, nrCopyPages,
 *   nrZeroPages, direct, viaPbe, loaded}, console[]
 */
import type { ResumeResult } from '../power/resume.js';
import { hex } from '../util/hex.js';

export interface ResumeReport {
  image: string;
  e820File: string;
  boot: number | null;
  profileId: string;
  cmdline: string | null;
  via: 'initcall' | 'sysfs';
  result: ResumeResult;
  /** Physical address of the oops' faulting address (__pa), when it has one. */
  faultPaddr: number | undefined;
  messages: readonly string[];
  console: readonly string[];
}

export function resumeJson(c: ResumeReport) {
  const res = c.result;
  const oops = res.oops;
  const pfn = c.faultPaddr;
  return {
    image: c.image,
    e820: { file: c.e820File, boot: c.boot },
    profile: c.profileId,
    cmdline: c.cmdline,
    via: c.via,
    verdict: res.outcome,
    reason: res.reason,
    errno: res.errno ?? null,
    messages: c.messages,
    oops: oops
      ? {
          function: oops.func,
          offset: oops.offset,
          address: hex(oops.address),
          pfn: pfn === undefined ? null : hex(Math.floor(pfn / 4096)),
        }
      : null,
    silentWrites: res.silentWrites.map((w) => ({ ...w, pfn: hex(w.pfn), imagePfn: hex(w.imagePfn) })),
    stats: {
      streamPages: res.stats.streamPages,
      nrMetaPages: res.stats.nrMetaPages,
      nrCopyPages: res.stats.nrCopyPages,
      nrZeroPages: res.stats.nrZeroPages,
      direct: res.stats.direct,
      viaPbe: res.stats.viaPbe,
      loaded: res.stats.loaded,
    },
    console: c.console,
  };
}

export function resumeText(c: ResumeReport): string {
  const res = c.result;
  const oops = res.oops;
  const pfn = c.faultPaddr;
  const L = [`== resume of ${c.image} (${c.profileId}) ==`, ...c.console, ''];
  L.push(`verdict: ${res.outcome.toUpperCase()}`, `  ${res.reason}`);
  for (const m of c.messages) L.push(`  kernel: ${m}`);
  if (oops) {
    L.push(
      `  oops in ${oops.func}+0x${oops.offset.toString(16)} at ${hex(oops.address)}${pfn === undefined ? '' : ` (pfn ${hex(Math.floor(pfn / 4096))})`}`,
    );
  }
  for (const w of res.silentWrites.slice(0, 5)) {
    L.push(`  overwrote frame ${hex(w.pfn)} (${w.e820}) with image pfn ${hex(w.imagePfn)} by ${w.how}`);
  }
  return `${L.join('\n')}\n`;
}
