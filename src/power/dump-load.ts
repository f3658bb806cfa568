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
import { humanBytes } from '../util/hex.js';
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
import type { ReadSource } from './image/source.js';

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
  /** The decoded parts (encodeDump(parts) gives the same bytes back); reads every frame's bytes. */
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

/**
 * Sequential reads of a source through one reused window: the loader scans
 * FRMS and DESC record by record without holding the file. A Uint8Array input
 * is its own window (no copy).
 */
class SourceWindow {
  private buf: Uint8Array;
  private start = 0;
  private len = 0;
  constructor(
    private readonly src: ReadSource | Uint8Array,
    private readonly file?: string,
    size = WINDOW_BYTES,
  ) {
    if (src instanceof Uint8Array) {
      this.buf = src;
      this.len = src.length;
    } else this.buf = new Uint8Array(size);
  }

  /** The window holding file bytes [at, at + need) (need ≤ window size); returns their index in buf(). */
  at(at: number, need: number): number {
    if (at >= this.start && at + need <= this.start + this.len) return at - this.start;
    const src = this.src as ReadSource;
    this.start = at;
    this.len = readFull(src, at, this.buf);
    // Sizes were checked against the source's size: a short read is a file that shrank meanwhile.
    if (this.len < need) shortRead(at + this.len, this.file);
    return 0;
  }

  get bytes(): Uint8Array {
    return this.buf;
  }
}

function shortRead(offset: number, file?: string): never {
  return fail('DUMP_TRUNCATED', 'the dump ends here: it was cut short while being read', offset, file);
}

function readFull(src: ReadSource, offset: number, dst: Uint8Array): number {
  if (src.readInto) return src.readInto(offset, dst);
  const b = src.readAt(offset, dst.length);
  dst.set(b);
  return b.length;
}

/** Decoded frames kept by a loaded dump's reader (direct-mapped by pfn): a walk re-reads its tables. */
const FRAME_CACHE_SLOTS = 64;

/**
 * Frames and descriptor runs of a dump as a page provider: column indexes
 * (binary search, no object per frame or run) over a source whose frame
 * bytes are read and decoded only when a frame is read.
 */
class DumpPages implements PageContentProvider {
  private readonly scratch = new Uint8Array(lz4CompressBound(PAGE));
  private readonly cache = new Uint8Array(FRAME_CACHE_SLOTS * PAGE);
  private readonly cachePfn = new Float64Array(FRAME_CACHE_SLOTS).fill(-1);
  constructor(
    private readonly src: ReadSource | Uint8Array,
    private readonly ix: DumpIndex,
    private readonly file?: string,
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
    const i = this.find(this.ix.framePfn, pfn);
    return i >= 0 && this.ix.framePfn[i] === pfn ? i : -1;
  }

  private runIndex(pfn: number): number {
    const i = this.find(this.ix.runPfn, pfn);
    return i >= 0 && pfn < this.ix.runPfn[i]! + this.ix.runCount[i]! ? i : -1;
  }

  covers(pfn: number): boolean {
    return this.frameIndex(pfn) >= 0 || this.runIndex(pfn) >= 0;
  }

  /** The stored bytes of frame record `f` (raw page or LZ4 block), in a reused buffer. */
  stored(f: number): Uint8Array {
    const off = this.ix.frameOff[f]!;
    const len = this.ix.frameLen[f]!;
    if (this.src instanceof Uint8Array) return this.src.subarray(off, off + len);
    const dst = this.scratch.subarray(0, len);
    const got = readFull(this.src, off, dst);
    if (got < len) shortRead(off + got, this.file);
    return dst;
  }

  fill(pfn: number, dst: Uint8Array): void {
    const f = this.frameIndex(pfn);
    if (f >= 0) {
      const slot = pfn % FRAME_CACHE_SLOTS;
      const page = this.cache.subarray(slot * PAGE, (slot + 1) * PAGE);
      if (this.cachePfn[slot] !== pfn) {
        const data = this.stored(f);
        if (this.ix.frameEnc[f] === FRAME_RAW) page.set(data);
        else lz4DecompressSafe(data, page);
        this.cachePfn[slot] = pfn;
      }
      dst.set(page);
      return;
    }
    const r = this.runIndex(pfn);
    if (r < 0) return;
    const ix = this.ix;
    generatePage(ix.runKind[r]!, ix.seeds[ix.runSeed[r]!]!, ix.runSrc[r]! + (pfn - ix.runPfn[r]!), 0, dst);
  }

  /** The decoded parts (every frame's stored bytes read): for encodeDump() round trips. */
  parts(meta: Record<string, unknown>): DumpParts {
    const ix = this.ix;
    const frames: DumpFrame[] = [];
    for (let f = 0; f < ix.framePfn.length; f++)
      frames.push({ pfn: ix.framePfn[f]!, encoding: ix.frameEnc[f]!, data: this.stored(f).slice() });
    const runs: number[][] = [];
    for (let r = 0; r < ix.runPfn.length; r++)
      runs.push([ix.runPfn[r]!, ix.runCount[r]!, ix.runKind[r]!, ix.runSeed[r]!, ix.runSrc[r]!]);
    return { meta, frames, seeds: [...ix.seeds], runs };
  }
}

/** Where a dump's frames and descriptor runs are: columns, ~21 bytes a frame and 22 a run. */
interface DumpIndex {
  framePfn: Float64Array;
  /** Byte offset of the frame's stored bytes in the dump. */
  frameOff: Float64Array;
  frameLen: Uint32Array;
  frameEnc: Uint8Array;
  seeds: number[];
  runPfn: Float64Array;
  runCount: Uint32Array;
  runKind: Uint8Array;
  runSeed: Uint8Array;
  runSrc: Float64Array;
}

/** Index bytes per frame record and per descriptor run (the columns above). */
const INDEX_BYTES_PER_FRAME = 8 + 8 + 4 + 1;
const INDEX_BYTES_PER_RUN = 8 + 4 + 1 + 1 + 8;
/** META is parsed as one JSON text. */
const META_MAX_BYTES = 64 * 2 ** 20;
const WINDOW_BYTES = 2 ** 20;

export interface LoadDumpOptions {
  /**
   * Host bytes the frame and run index may take (default 224 MiB): a dump
   * that needs more is refused with DUMP_TOO_LARGE before anything is
   * allocated. Frame bytes are never held: they are read when a frame is read.
   */
  maxIndexBytes?: number;
}

export const DEFAULT_DUMP_INDEX_BYTES = 224 * 2 ** 20;

/**
 * Parse and check a dump; `file` names it in errors. `input` is the whole
 * file or a random-access source over it (`hiblab crash` reads a file this
 * way): only the header, META, and the frame/run index are held; the body's
 * CRC and each LZ4 frame are checked in one streaming pass.
 */
export function loadDump(
  input: Uint8Array | ReadSource,
  file?: string,
  opts: LoadDumpOptions = {},
): LoadedDump {
  const n = input instanceof Uint8Array ? input.length : input.size;
  const win = new SourceWindow(input, file);
  const head = (len: number): Uint8Array => {
    const i = win.at(0, Math.min(len, n));
    return win.bytes.subarray(i, i + Math.min(len, n));
  };
  if (n > 0 && head(1)[0] === 0x7b) {
    fail(
      'DUMP_V1',
      'this is a hiblab-dump v1 (JSON) file: v1 holds no page-table or kernel-data frames and cannot be loaded; run the scenario again with --dump to write v2',
      0,
      file,
    );
  }
  if (n < DUMP_HEADER_SIZE)
    fail('DUMP_TRUNCATED', `dump is ${n} bytes, the header alone is ${DUMP_HEADER_SIZE}`, n, file);
  const hb = head(DUMP_HEADER_SIZE).slice();
  for (let i = 0; i < 8; i++) {
    if (hb[i] !== DUMP_MAGIC.charCodeAt(i))
      fail('DUMP_MAGIC', `not a hiblab dump (expected magic "${DUMP_MAGIC}")`, i, file);
  }
  const dv = new DataView(hb.buffer);
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
  let got = 0;
  for (let off = DUMP_HEADER_SIZE; off < n; ) {
    const len = Math.min(WINDOW_BYTES, n - off);
    const i = win.at(off, len);
    got = crc32(win.bytes.subarray(i, i + len), got);
    off += len;
  }
  got >>>= 0;
  if (got !== want) {
    fail(
      'DUMP_CHECKSUM',
      `CRC-32 of bytes [32, ${n}) is 0x${got.toString(16).padStart(8, '0')}, the header says 0x${want.toString(16).padStart(8, '0')}: the dump was edited or damaged`,
      24,
      file,
    );
  }
  const ti = win.at(0, tableEnd);
  const table = win.bytes.slice(ti, ti + tableEnd);
  const tv = new DataView(table.buffer);
  const sections = new Map<string, { off: number; len: number }>();
  let expect = tableEnd;
  for (let i = 0; i < nsec; i++) {
    const e = DUMP_HEADER_SIZE + i * DUMP_SECTION_ENTRY;
    const tag = String.fromCharCode(...table.subarray(e, e + 4));
    const off = Number(tv.getBigUint64(e + 8, true));
    const len = Number(tv.getBigUint64(e + 16, true));
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
  /** Bytes [off, off + len) of the dump as a fresh array (len is a section's real length). */
  const readBytes = (off: number, len: number): Uint8Array => {
    if (input instanceof Uint8Array) return input.subarray(off, off + len);
    const out = new Uint8Array(len);
    const got = readFull(input, off, out);
    if (got < len) shortRead(off + got, file);
    return out;
  };

  // META
  const m = sec('META');
  if (m.len > META_MAX_BYTES)
    fail(
      'DUMP_META',
      `META is ${m.len} bytes, more than the ${META_MAX_BYTES} this reader parses`,
      m.off,
      file,
    );
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(readBytes(m.off, m.len)));
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

  // FRMS: its count is checked against the bytes there and the index limit before the index is made.
  const fs = sec('FRMS');
  if (fs.len < 8) fail('DUMP_FRAMES', 'FRMS is shorter than its count', fs.off, file);
  let wi = win.at(fs.off, 8);
  const fcount = Number(new DataView(win.bytes.buffer, win.bytes.byteOffset + wi, 8).getBigUint64(0, true));
  if (fcount > (fs.len - 8) / 16)
    fail(
      'DUMP_FRAMES',
      `FRMS claims ${fcount} frames, ${fs.len} bytes hold at most ${Math.floor((fs.len - 8) / 16)}`,
      fs.off,
      file,
    );
  const limit = opts.maxIndexBytes ?? DEFAULT_DUMP_INDEX_BYTES;
  const tooLarge = (what: string, need: number, at: number): never =>
    fail(
      'DUMP_TOO_LARGE',
      `dump holds ${what}: their index needs ${humanBytes(need)}, more than the ${humanBytes(limit)} allowed (--max-mem)`,
      at,
      file,
    );
  if (fcount * INDEX_BYTES_PER_FRAME > limit)
    tooLarge(`${fcount} frames`, fcount * INDEX_BYTES_PER_FRAME, fs.off);

  // FRMS: one pass over the records; each LZ4 frame is decoded once to check it, then only its place is kept.
  const framePfn = new Float64Array(fcount);
  const frameOff = new Float64Array(fcount);
  const frameLen = new Uint32Array(fcount);
  const frameEnc = new Uint8Array(fcount);
  const check = new Uint8Array(PAGE);
  const maxRecord = 16 + lz4CompressBound(PAGE);
  let p = 8;
  let last = -1;
  for (let i = 0; i < fcount; i++) {
    const at = fs.off + p;
    if (p + 16 > fs.len) fail('DUMP_TRUNCATED', `frame record ${i} runs past FRMS`, at, file);
    const w = win.at(at, Math.min(maxRecord, fs.len - p));
    const b = win.bytes;
    const rv = new DataView(b.buffer, b.byteOffset + w, 16);
    const pfn = Number(rv.getBigUint64(0, true));
    const enc = rv.getUint8(8);
    const len = rv.getUint32(12, true);
    if (pfn >= MAX_PFN || pfn <= last)
      fail('DUMP_FRAMES', `frame ${i}: pfn 0x${pfn.toString(16)} is out of order or out of range`, at, file);
    if (enc !== FRAME_RAW && enc !== FRAME_LZ4)
      fail('DUMP_FRAMES', `frame ${i}: unknown encoding ${enc}`, at + 8, file);
    if ((enc === FRAME_RAW && len !== PAGE) || len > lz4CompressBound(PAGE) || p + 16 + len > fs.len) {
      fail('DUMP_FRAMES', `frame ${i}: length ${len} does not fit`, at + 12, file);
    }
    if (enc === FRAME_LZ4) {
      let out = -1;
      try {
        out = lz4DecompressSafe(b.subarray(w + 16, w + 16 + len), check);
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
    framePfn[i] = pfn;
    frameOff[i] = at + 16;
    frameLen[i] = len;
    frameEnc[i] = enc;
    last = pfn;
    p += 16 + len;
  }
  if (p !== fs.len) fail('DUMP_FRAMES', `${fs.len - p} bytes after the last frame record`, fs.off + p, file);

  const ds = sec('DESC');
  if (ds.len < 12) fail('DUMP_DESC', 'DESC is shorter than its counts', ds.off, file);
  wi = win.at(ds.off, 4);
  const nseeds = new DataView(win.bytes.buffer, win.bytes.byteOffset + wi, 4).getUint32(0, true);
  if (nseeds > 255 || 4 + nseeds * 4 + 8 > ds.len)
    fail('DUMP_DESC', `DESC claims ${nseeds} seeds`, ds.off, file);
  const dhead = readBytes(ds.off, 4 + nseeds * 4 + 8).slice();
  const dhv = new DataView(dhead.buffer);
  const seeds: number[] = [];
  for (let i = 0; i < nseeds; i++) seeds.push(dhv.getUint32(4 + i * 4, true));
  let q = 4 + nseeds * 4;
  const nruns = Number(dhv.getBigUint64(q, true));
  q += 8;
  if (nruns > (ds.len - q) / 24)
    fail(
      'DUMP_DESC',
      `DESC claims ${nruns} runs, ${ds.len - q} bytes hold ${Math.floor((ds.len - q) / 24)}`,
      ds.off + q - 8,
      file,
    );
  const need = fcount * INDEX_BYTES_PER_FRAME + nruns * INDEX_BYTES_PER_RUN;
  if (need > limit) tooLarge(`${fcount} frames and ${nruns} descriptor runs`, need, ds.off + q - 8);
  const ix: DumpIndex = {
    framePfn,
    frameOff,
    frameLen,
    frameEnc,
    seeds,
    runPfn: new Float64Array(nruns),
    runCount: new Uint32Array(nruns),
    runKind: new Uint8Array(nruns),
    runSeed: new Uint8Array(nruns),
    runSrc: new Float64Array(nruns),
  };
  let end = -1;
  for (let i = 0; i < nruns; i++) {
    const at = ds.off + q;
    const w = win.at(at, 24);
    const rv = new DataView(win.bytes.buffer, win.bytes.byteOffset + w, 24);
    const pfn = Number(rv.getBigUint64(0, true));
    const count = rv.getUint32(8, true);
    const kind = rv.getUint8(12);
    const si = rv.getUint8(13);
    const src = Number(rv.getBigUint64(16, true));
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
    ix.runPfn[i] = pfn;
    ix.runCount[i] = count;
    ix.runKind[i] = kind;
    ix.runSeed[i] = si;
    ix.runSrc[i] = src;
    end = pfn + count;
    q += 24;
  }
  if (q !== ds.len) fail('DUMP_DESC', `${ds.len - q} bytes after the last run`, ds.off + q, file);

  const mem = new PhysMem();
  const pages = new DumpPages(input, ix, file);
  mem.setProvider(pages);
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
    get parts() {
      return pages.parts(meta);
    },
  };
}
