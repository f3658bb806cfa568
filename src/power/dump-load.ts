/**
 * loadDump(): read a hiblab-dump v2 (layout in ./dump.ts) back into a
 * KernelMemory view of the dumped machine, plus its consoles, oops and
 * verdict. Every count and length is checked against the bytes that are
 * actually there before anything is allocated, so memory stays bounded by the
 * file size whatever a dump claims; frames stay compressed until read.
 * Problems are FormatErrors naming the byte offset: truncation, a checksum
 * that does not match (an edited dump), an unknown or future version, a v1
 * (JSON) dump, malformed sections.
 */
import { FormatError } from '../errors.js';
import { crc32 } from '../lib/crc32.js';
import { lz4CompressBound, lz4DecompressSafe } from '../lib/lz4.js';
import type { KernelMemory, KernelSymbolInfo } from '../machine/kernel-memory.js';
import { LiveKernelMemory } from '../machine/kernel-memory-live.js';
import { type PageContentProvider, PhysMem } from '../mm/phys-mem.js';
import { getProfile } from '../profiles/index.js';
import type { KernelProfile } from '../profiles/types.js';
import { generatePage, isGeneratedKind } from '../workload/content.js';
import {
  DUMP_FORMAT,
  DUMP_HEADER_SIZE,
  DUMP_MAGIC,
  DUMP_SECTION_ENTRY,
  DUMP_VERSION,
  type DumpFrame,
  type DumpParts,
  FRAME_LZ4,
  FRAME_RAW,
} from './dump.js';

const PAGE = 4096;
/** Physical addresses are < 2^52 on x86-64. */
const MAX_PFN = 2 ** 40;

export interface LoadedDump {
  readonly version: number;
  readonly meta: Record<string, unknown>;
  readonly profile: KernelProfile;
  readonly verdict: string;
  readonly reason: string;
  readonly console: { readonly suspend: readonly string[]; readonly resume: readonly string[] };
  /** The oops as the run produced it (registers, call trace, task pid/comm, page walk), if any. */
  readonly oops?: Record<string, unknown>;
  readonly symbols: readonly KernelSymbolInfo[];
  /** The dumped machine's memory by kernel virtual address. */
  readonly kernelMemory: KernelMemory;
  /** The decoded parts (encodeDump(parts) gives the same bytes back). */
  readonly parts: DumpParts;
}

function fail(code: string, message: string, offset: number, file?: string): never {
  throw new FormatError(code, message, { offset, file });
}

/** JSON reviver for {"$big": "0x…"}. */
function revive(_k: string, v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$big') {
      if (typeof o.$big !== 'string' || !/^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(o.$big))
        throw new RangeError(`{"$big": ${JSON.stringify(o.$big).slice(0, 40)}} is not a 64-bit number`);
      return BigInt(o.$big);
    }
  }
  return v;
}

/** Frames and descriptor runs of a dump as a page provider (binary search, no per-frame objects). */
class DumpPages implements PageContentProvider {
  private readonly scratch = new Uint8Array(PAGE);
  constructor(
    private readonly framePfn: Float64Array,
    private readonly frames: readonly DumpFrame[],
    private readonly runStart: Float64Array,
    private readonly runs: readonly number[][],
    private readonly seeds: readonly number[],
  ) {}

  private find(a: Float64Array, pfn: number): number {
    let lo = 0;
    let hi = a.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! <= pfn) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  private frameIndex(pfn: number): number {
    const i = this.find(this.framePfn, pfn);
    return i >= 0 && this.framePfn[i] === pfn ? i : -1;
  }

  private runIndex(pfn: number): number {
    const i = this.find(this.runStart, pfn);
    return i >= 0 && pfn < this.runStart[i]! + this.runs[i]![1]! ? i : -1;
  }

  covers(pfn: number): boolean {
    return this.frameIndex(pfn) >= 0 || this.runIndex(pfn) >= 0;
  }

  fill(pfn: number, dst: Uint8Array): void {
    const f = this.frameIndex(pfn);
    if (f >= 0) {
      const fr = this.frames[f]!;
      if (fr.encoding === FRAME_RAW) dst.set(fr.data);
      else {
        lz4DecompressSafe(fr.data, this.scratch);
        dst.set(this.scratch);
      }
      return;
    }
    const r = this.runIndex(pfn);
    if (r < 0) return;
    const [start, , kind, seedIdx, src] = this.runs[r]!;
    generatePage(kind!, this.seeds[seedIdx!]!, src! + (pfn - start!), 0, dst);
  }
}

/** Parse and check a dump; `file` names it in errors. */
export function loadDump(bytes: Uint8Array, file?: string): LoadedDump {
  const n = bytes.length;
  if (n > 0 && bytes[0] === 0x7b) {
    fail(
      'DUMP_V1',
      'this is a hiblab-dump v1 (JSON) file: v1 holds no page-table or kernel-data frames and cannot be loaded; run the scenario again with --dump to write v2',
      0,
      file,
    );
  }
  if (n < DUMP_HEADER_SIZE)
    fail('DUMP_TRUNCATED', `dump is ${n} bytes, the header alone is ${DUMP_HEADER_SIZE}`, n, file);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== DUMP_MAGIC.charCodeAt(i))
      fail('DUMP_MAGIC', `not a hiblab dump (expected magic "${DUMP_MAGIC}")`, i, file);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const version = dv.getUint32(8, true);
  if (version > DUMP_VERSION) {
    fail(
      'DUMP_VERSION',
      `hiblab-dump version ${version} is newer than this hiblab reads (${DUMP_VERSION})`,
      8,
      file,
    );
  }
  if (version !== DUMP_VERSION)
    fail(
      'DUMP_VERSION',
      `unsupported hiblab-dump version ${version} (this hiblab reads ${DUMP_VERSION})`,
      8,
      file,
    );
  const nsec = dv.getUint32(12, true);
  if (nsec < 1 || nsec > 16) fail('DUMP_SECTIONS', `section count ${nsec} is not 1..16`, 12, file);
  const total = Number(dv.getBigUint64(16, true));
  if (total > n)
    fail('DUMP_TRUNCATED', `dump is ${n} bytes but its header says ${total}: truncated`, n, file);
  if (total < n)
    fail('DUMP_TRAILING', `${n - total} bytes follow the end the header gives (${total})`, total, file);
  const tableEnd = DUMP_HEADER_SIZE + nsec * DUMP_SECTION_ENTRY;
  if (tableEnd > n)
    fail('DUMP_TRUNCATED', `the section table ends at ${tableEnd}, past the end of the dump`, n, file);
  const want = dv.getUint32(24, true);
  const got = crc32(bytes.subarray(DUMP_HEADER_SIZE, n)) >>> 0;
  if (got !== want) {
    fail(
      'DUMP_CHECKSUM',
      `CRC-32 of bytes [32, ${n}) is 0x${got.toString(16).padStart(8, '0')}, the header says 0x${want.toString(16).padStart(8, '0')}: the dump was edited or damaged`,
      24,
      file,
    );
  }
  const sections = new Map<string, { off: number; len: number }>();
  let expect = tableEnd;
  for (let i = 0; i < nsec; i++) {
    const e = DUMP_HEADER_SIZE + i * DUMP_SECTION_ENTRY;
    const tag = String.fromCharCode(...bytes.subarray(e, e + 4));
    const off = Number(dv.getBigUint64(e + 8, true));
    const len = Number(dv.getBigUint64(e + 16, true));
    if (off !== expect || off + len > n)
      fail(
        'DUMP_SECTION',
        `section '${tag}' at ${off}+${len} is not where the table says sections continue (${expect})`,
        e,
        file,
      );
    sections.set(tag, { off, len });
    expect = off + len;
  }
  const sec = (tag: string) => {
    const s = sections.get(tag);
    if (!s) fail('DUMP_SECTION', `section '${tag}' is missing`, DUMP_HEADER_SIZE, file);
    return s;
  };

  // META
  const m = sec('META');
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(m.off, m.off + m.len)));
  } catch (e) {
    fail('DUMP_META', `META is not UTF-8 JSON: ${(e as Error).message}`, m.off, file);
  }
  if (meta.format !== DUMP_FORMAT || meta.version !== DUMP_VERSION) {
    fail('DUMP_META', `META says format ${String(meta.format)} version ${String(meta.version)}`, m.off, file);
  }
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(JSON.stringify(meta), revive) as Record<string, unknown>;
  } catch (e) {
    fail('DUMP_META', `META: ${(e as Error).message}`, m.off, file);
  }
  let profile: KernelProfile;
  try {
    profile = getProfile(String(r.profile));
  } catch {
    fail('DUMP_META', `unknown kernel profile '${String(r.profile)}'`, m.off, file);
  }
  const mach = r.machine as Record<string, unknown> | undefined;
  if (!mach?.kaslr || !mach.kernelImage || typeof mach.maxPfn !== 'number') {
    fail('DUMP_META', 'META has no machine {maxPfn, kaslr, kernelImage}', m.off, file);
  }

  // FRMS
  const fs = sec('FRMS');
  const fdv = new DataView(bytes.buffer, bytes.byteOffset + fs.off, fs.len);
  if (fs.len < 8) fail('DUMP_FRAMES', 'FRMS is shorter than its count', fs.off, file);
  const fcount = Number(fdv.getBigUint64(0, true));
  if (fcount > (fs.len - 8) / 16)
    fail(
      'DUMP_FRAMES',
      `FRMS claims ${fcount} frames, ${fs.len} bytes hold at most ${Math.floor((fs.len - 8) / 16)}`,
      fs.off,
      file,
    );
  const frames: DumpFrame[] = [];
  const framePfn = new Float64Array(fcount);
  const check = new Uint8Array(PAGE);
  let p = 8;
  let last = -1;
  for (let i = 0; i < fcount; i++) {
    const at = fs.off + p;
    if (p + 16 > fs.len) fail('DUMP_TRUNCATED', `frame record ${i} runs past FRMS`, at, file);
    const pfn = Number(fdv.getBigUint64(p, true));
    const enc = fdv.getUint8(p + 8);
    const len = fdv.getUint32(p + 12, true);
    if (pfn >= MAX_PFN || pfn <= last)
      fail('DUMP_FRAMES', `frame ${i}: pfn 0x${pfn.toString(16)} is out of order or out of range`, at, file);
    if (enc !== FRAME_RAW && enc !== FRAME_LZ4)
      fail('DUMP_FRAMES', `frame ${i}: unknown encoding ${enc}`, at + 8, file);
    if ((enc === FRAME_RAW && len !== PAGE) || len > lz4CompressBound(PAGE) || p + 16 + len > fs.len) {
      fail('DUMP_FRAMES', `frame ${i}: length ${len} does not fit`, at + 12, file);
    }
    const data = bytes.slice(fs.off + p + 16, fs.off + p + 16 + len);
    if (enc === FRAME_LZ4) {
      let out = -1;
      try {
        out = lz4DecompressSafe(data, check);
      } catch {
        out = -1;
      }
      if (out !== PAGE)
        fail(
          'DUMP_FRAMES',
          `frame ${i} (pfn 0x${pfn.toString(16)}): LZ4 data does not decode to one page`,
          at + 16,
          file,
        );
    }
    frames.push({ pfn, encoding: enc, data });
    framePfn[i] = pfn;
    last = pfn;
    p += 16 + len;
  }
  if (p !== fs.len) fail('DUMP_FRAMES', `${fs.len - p} bytes after the last frame record`, fs.off + p, file);

  // DESC
  const ds = sec('DESC');
  const ddv = new DataView(bytes.buffer, bytes.byteOffset + ds.off, ds.len);
  if (ds.len < 12) fail('DUMP_DESC', 'DESC is shorter than its counts', ds.off, file);
  const nseeds = ddv.getUint32(0, true);
  if (nseeds > 255 || 4 + nseeds * 4 + 8 > ds.len)
    fail('DUMP_DESC', `DESC claims ${nseeds} seeds`, ds.off, file);
  const seeds: number[] = [];
  for (let i = 0; i < nseeds; i++) seeds.push(ddv.getUint32(4 + i * 4, true));
  let q = 4 + nseeds * 4;
  const nruns = Number(ddv.getBigUint64(q, true));
  q += 8;
  if (nruns > (ds.len - q) / 24)
    fail(
      'DUMP_DESC',
      `DESC claims ${nruns} runs, ${ds.len - q} bytes hold ${Math.floor((ds.len - q) / 24)}`,
      ds.off + q - 8,
      file,
    );
  const runs: number[][] = [];
  const runStart = new Float64Array(nruns);
  let end = -1;
  for (let i = 0; i < nruns; i++) {
    const at = ds.off + q;
    const pfn = Number(ddv.getBigUint64(q, true));
    const count = ddv.getUint32(q + 8, true);
    const kind = ddv.getUint8(q + 12);
    const si = ddv.getUint8(q + 13);
    const src = Number(ddv.getBigUint64(q + 16, true));
    if (pfn < end || count === 0 || pfn + count > MAX_PFN || src + count > 2 ** 32) {
      fail(
        'DUMP_DESC',
        `run ${i} (pfn 0x${pfn.toString(16)}, ${count} frames) overlaps or is out of range`,
        at,
        file,
      );
    }
    if (!isGeneratedKind(kind))
      fail('DUMP_DESC', `run ${i}: content kind ${kind} is not a generated kind`, at + 12, file);
    if (si >= nseeds) fail('DUMP_DESC', `run ${i}: seed index ${si} of ${nseeds}`, at + 13, file);
    runs.push([pfn, count, kind, si, src]);
    runStart[i] = pfn;
    end = pfn + count;
    q += 24;
  }
  if (q !== ds.len) fail('DUMP_DESC', `${ds.len - q} bytes after the last run`, ds.off + q, file);

  const mem = new PhysMem();
  mem.setProvider(new DumpPages(framePfn, frames, runStart, runs, seeds));
  const img = mach!.kernelImage as Record<string, unknown>;
  const kaslr = mach!.kaslr as Record<string, unknown>;
  // META fields are typed here: a dump is input, and an edited META must fail as a FormatError.
  const bad = (what: string): never => fail('DUMP_META', `META ${what}`, m.off, file);
  const num = (v: unknown, what: string): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
      ? v
      : bad(`${what} is not a non-negative integer`);
  const big = (v: unknown, what: string): bigint =>
    typeof v === 'bigint'
      ? v
      : typeof v === 'number' && Number.isSafeInteger(v)
        ? BigInt(v)
        : bad(`${what} is not a 64-bit address`);
  const str = (v: unknown, what: string): string =>
    typeof v === 'string' ? v : bad(`${what} is not a string`);
  const SECTIONS = new Set(['d', 'b', 't', 'r']);
  const rawSyms = r.symbols ?? [];
  if (!Array.isArray(rawSyms)) bad('symbols is not an array');
  const symbols = (rawSyms as unknown[]).map((x, i) => {
    if (!x || typeof x !== 'object') return bad(`symbols[${i}] is not an object`);
    const s = x as Record<string, unknown>;
    const section = str(s.section, `symbols[${i}].section`);
    if (!SECTIONS.has(section)) bad(`symbols[${i}].section '${section.slice(0, 8)}' is not d, b, t or r`);
    return {
      name: str(s.name, `symbols[${i}].name`),
      addr: big(s.addr, `symbols[${i}].addr`),
      type: str(s.type, `symbols[${i}].type`),
      size: num(s.size, `symbols[${i}].size`),
      section: section as KernelSymbolInfo['section'],
    };
  });
  const kernelMemory = new LiveKernelMemory(
    {
      profile,
      mem,
      maxPfn: mach!.maxPfn as number,
      kaslr: {
        pageOffsetBase: big(kaslr.pageOffsetBase, 'kaslr.pageOffsetBase'),
        vmallocBase: big(kaslr.vmallocBase, 'kaslr.vmallocBase'),
        vmemmapBase: big(kaslr.vmemmapBase, 'kaslr.vmemmapBase'),
      },
      kernelImage: {
        textPhys: num(img.textPhys, 'kernelImage.textPhys'),
        textVirt: big(img.textVirt, 'kernelImage.textVirt'),
        pgdPhys: num(img.pgdPhys, 'kernelImage.pgdPhys'),
        pgdVirt: big(img.pgdVirt, 'kernelImage.pgdVirt'),
        endPhys: num(img.endPhys, 'kernelImage.endPhys'),
      },
    },
    symbols,
  );
  const lines = (v: unknown, what: string): string[] =>
    v === undefined
      ? []
      : Array.isArray(v) && v.every((l) => typeof l === 'string')
        ? (v as string[])
        : bad(`${what} is not a list of lines`);
  const rc = (r.console ?? {}) as Record<string, unknown>;
  const con = { suspend: lines(rc.suspend, 'console.suspend'), resume: lines(rc.resume, 'console.resume') };
  return {
    version,
    meta,
    profile,
    verdict: String(r.verdict),
    reason: String(r.reason),
    console: con,
    oops: r.oops as Record<string, unknown> | undefined,
    symbols,
    kernelMemory,
    parts: { meta, frames, seeds, runs },
  };
}
