/**
 * The post-mortem dump of a run (`hiblab run --dump FILE`): the machine that
 * ended the story (the resume boot, or the hibernating one when hibernation
 * itself died) with what a crash-style inspector needs to read it like a
 * vmcore: its physical memory (sparse), symbols, profile and struct table,
 * KASLR bases, both consoles, the oops and the verdict. Read back with
 * loadDump() (./dump-load.ts), which restores a KernelMemory view.
 *
 * Format "hiblab-dump" version 2, binary, little endian:
 *
 *   header (32 bytes)
 *     0  magic "HIBLBDMP" (8 bytes)
 *     8  u32 version = 2
 *     12 u32 number of sections N (1..16)
 *     16 u64 total length of the file in bytes
 *     24 u32 CRC-32 (zlib) of bytes [32, total length)
 *     28 u32 0
 *   section table: N × 24 bytes { u8[4] tag, u32 0, u64 offset, u64 length },
 *     sections follow in table order, contiguous, offsets from the file start
 *   'META' UTF-8 JSON: { format, version, createdBy, scenario {name, yaml?},
 *          verdict, reason, profile (id), structTable (the table's source line),
 *          machine {maxPfn, kaslr {pageOffsetBase, vmallocBase, vmemmapBase},
 *          kernelImage {textPhys, textVirt, pgdPhys, pgdVirt, endPhys},
 *          e820 {firmware[], kernel[]}}, symbols [{name, addr, type, size,
 *          section}], console {suspend[], resume[]}, oops? {address, func,
 *          offset, rip, regs{}, errorCode, pid, comm, trace[], walk[], reason},
 *          stats? } — 64-bit values as {"$big": "0x…"}.
 *   'FRMS' frames held as bytes: u64 count, then per frame (ascending pfn)
 *          { u64 pfn, u8 encoding (0 raw 4096 bytes, 1 LZ4 block), u8[3] 0,
 *            u32 length, bytes[length] }. These are the materialised frames
 *          (page tables, bitmaps, PBE chains, buffers) and every kernel-data
 *          frame (struct pages, pglist_data, … serialised at dump time).
 *   'DESC' generated frames as content descriptors (no bytes): u32 seed count,
 *          u32 seeds[], u64 run count, then runs { u64 pfn, u32 count, u8 kind,
 *          u8 seed index, u8[2] 0, u64 first src pfn } — `count` consecutive
 *          frames whose src pfns are consecutive too (workload/content.ts).
 * Frames in neither section read as zero. Encoding is canonical: saving a
 * loaded dump gives the same bytes. writeDump() streams the file (body first,
 * header and table last), and loadDump() indexes it without holding frame
 * bytes, so neither side's memory grows with the dump's size beyond ~21 bytes
 * a frame or descriptor run.
 */

import { crc32, crc32LeCombine } from '../lib/crc32.js';
import { lz4Compress, lz4CompressBound } from '../lib/lz4.js';
import type { Machine } from '../machine/boot.js';
import { kernelSymbols } from '../machine/symbols.js';
import { hex } from '../util/hex.js';
import { ContentKind } from '../workload/content.js';
import type { ContentMap } from '../workload/content-map.js';
import type { Oops } from './oops.js';

export const DUMP_FORMAT = 'hiblab-dump';
export const DUMP_VERSION = 2;
export const DUMP_MAGIC = 'HIBLBDMP';
export const DUMP_HEADER_SIZE = 32;
export const DUMP_SECTION_ENTRY = 24;
export const FRAME_RAW = 0;
export const FRAME_LZ4 = 1;

const PAGE = 4096;

export interface DumpInput {
  scenarioName: string;
  scenarioYaml?: string;
  verdict: string;
  reason: string;
  machine: Machine;
  content: ContentMap;
  oops?: Oops;
  stats?: unknown;
  /** Console lines of both boots (the dumped machine's is `resume` unless hibernation died). */
  console?: { suspend: readonly string[]; resume: readonly string[] };
}

/** One frame held as bytes (compressed or raw) in a dump. */
export interface DumpFrame {
  pfn: number;
  encoding: number;
  data: Uint8Array;
}

/** The decoded parts of a dump; encodeDump(parts) is the file. */
export interface DumpParts {
  meta: Record<string, unknown>;
  frames: DumpFrame[];
  seeds: number[];
  /** [pfn, count, kind, seedIndex, firstSrc] */
  runs: number[][];
}

/** JSON with bigints as {"$big": "0x…"}. */
export function toDumpJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? { $big: hex(BigInt.asUintN(64, x)) } : x));
}

function oopsMeta(o: Oops) {
  return {
    address: o.address,
    func: o.func,
    offset: o.offset,
    rip: o.rip,
    regs: o.regs,
    errorCode: o.errorCode,
    pid: o.pid,
    comm: o.comm,
    trace: o.trace,
    walk: o.walk.steps.map((s) => ({
      level: s.level,
      index: s.index,
      entryAddr: s.entryAddr,
      value: s.value,
    })),
    reason: o.reason,
  };
}

/** A frame's bytes, LZ4-compressed when that is smaller. */
export function packFrame(pfn: number, bytes: Uint8Array, scratch: Uint8Array): DumpFrame {
  const n = lz4Compress(bytes, scratch);
  if (n > 0 && n < PAGE) return { pfn, encoding: FRAME_LZ4, data: scratch.slice(0, n) };
  return { pfn, encoding: FRAME_RAW, data: bytes.slice() };
}

/**
 * Which frames a dump holds as bytes (ascending) and how many descriptor runs
 * DESC gets (the content map's runs other than KDATA ones, whose frames are
 * held as bytes).
 */
function dumpLayout(d: DumpInput): { pfns: number[]; seeds: number[]; nruns: number } {
  const m = d.machine;
  // Frames as bytes: materialised ones, kernel-data frames, and frames holding kernel-data copies.
  const set = new Set<number>(m.mem.materialisedPfns());
  for (const pfn of m.kdata.coveredPfns()) set.add(pfn);
  let nruns = 0;
  d.content.forEachRun((pfn, count, kind) => {
    if (kind === ContentKind.KDATA) for (let i = 0; i < count; i++) set.add(pfn + i);
    else nruns++;
  });
  const pfns: number[] = [];
  for (const pfn of [...set].sort((a, b) => a - b)) {
    if (!m.mem.isMaterialised(pfn)) {
      // A generated (non-kernel) descriptor on a kernel frame stays a descriptor.
      const k = d.content.kind(pfn);
      if (k !== ContentKind.KDATA && k !== ContentKind.NONE) continue;
    }
    pfns.push(pfn);
  }
  return { pfns, seeds: d.content.seedTable(), nruns };
}

/** Collect a machine's dump parts (every frame packed in memory: writeDump() streams instead). */
export function dumpParts(d: DumpInput): DumpParts {
  const { pfns } = dumpLayout(d);
  const { seeds, runs: all } = d.content.runs();
  const runs = all.filter((r) => r[2] !== ContentKind.KDATA);
  const scratch = new Uint8Array(lz4CompressBound(PAGE));
  const page = new Uint8Array(PAGE);
  const frames: DumpFrame[] = [];
  for (const pfn of pfns) {
    d.machine.mem.readPageInto(pfn, page);
    frames.push(packFrame(pfn, page, scratch));
  }
  return { meta: dumpMeta(d), frames, seeds, runs };
}

function dumpMeta(d: DumpInput): Record<string, unknown> {
  const m = d.machine;
  const img = m.kernelImage;
  const meta = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    createdBy: 'hiblab',
    scenario: { name: d.scenarioName, yaml: d.scenarioYaml },
    verdict: d.verdict,
    reason: d.reason,
    profile: m.profile.id,
    structTable: m.profile.structs.source,
    machine: {
      maxPfn: m.maxPfn,
      kaslr: {
        pageOffsetBase: m.kaslr.pageOffsetBase,
        vmallocBase: m.kaslr.vmallocBase,
        vmemmapBase: m.kaslr.vmemmapBase,
      },
      kernelImage: {
        textPhys: img.textPhys,
        textVirt: img.textVirt,
        pgdPhys: img.pgdPhys,
        pgdVirt: img.pgdVirt,
        endPhys: img.endPhys,
      },
      e820: {
        firmware: m.e820.firmware.map((e) => ({ addr: e.addr, size: e.size, type: e.type })),
        kernel: m.e820.kernel.map((e) => ({ addr: e.addr, size: e.size, type: e.type })),
      },
    },
    symbols: kernelSymbols(m).map((s) => ({
      name: s.name,
      addr: s.addr,
      type: s.type,
      size: s.size,
      section: s.section,
    })),
    console: { suspend: [...(d.console?.suspend ?? [])], resume: [...(d.console?.resume ?? [])] },
    oops: d.oops ? oopsMeta(d.oops) : undefined,
    stats: d.stats,
  };
  return JSON.parse(toDumpJson(meta)) as Record<string, unknown>;
}

class Out {
  buf = new Uint8Array(1 << 16);
  dv = new DataView(this.buf.buffer);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.dv.setUint32(this.n, v >>> 0, true);
    this.n += 4;
  }
  u64(v: number): void {
    this.room(8);
    this.dv.setBigUint64(this.n, BigInt(v), true);
    this.n += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
}

/** The dump file for its parts (canonical). */
export function encodeDump(p: DumpParts): Uint8Array {
  const meta = new TextEncoder().encode(JSON.stringify(p.meta));
  const frms = new Out();
  frms.u64(p.frames.length);
  for (const f of p.frames) {
    frms.u64(f.pfn);
    frms.u8(f.encoding);
    frms.u8(0);
    frms.u8(0);
    frms.u8(0);
    frms.u32(f.data.length);
    frms.bytes(f.data);
  }
  const desc = new Out();
  writeDesc(desc, p.seeds, p.runs);
  const sections: [string, Uint8Array][] = [
    ['META', meta],
    ['FRMS', frms.buf.subarray(0, frms.n)],
    ['DESC', desc.buf.subarray(0, desc.n)],
  ];
  const tableEnd = DUMP_HEADER_SIZE + sections.length * DUMP_SECTION_ENTRY;
  const total = tableEnd + sections.reduce((a, [, b]) => a + b.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const places: [string, number, number][] = [];
  let at = tableEnd;
  for (const [tag, b] of sections) {
    places.push([tag, at, b.length]);
    out.set(b, at);
    at += b.length;
  }
  writeHeader(out, dv, places);
  dv.setBigUint64(16, BigInt(total), true);
  dv.setUint32(24, crc32(out.subarray(DUMP_HEADER_SIZE)) >>> 0, true);
  return out;
}

/** DESC: seeds, then the descriptor runs. */
function writeDesc(o: Out, seeds: readonly number[], runs: readonly number[][]): void {
  o.u32(seeds.length);
  for (const s of seeds) o.u32(s);
  o.u64(runs.length);
  for (const r of runs) descRun(o, r[0]!, r[1]!, r[2]!, r[3]!, r[4]!);
}

/** One DESC run record (24 bytes). */
function descRun(o: Out, pfn: number, count: number, kind: number, seed: number, src: number): void {
  o.u64(pfn);
  o.u32(count);
  o.u8(kind);
  o.u8(seed);
  o.u8(0);
  o.u8(0);
  o.u64(src);
}

/** Magic, version, section count and the section table (tag, offset, length); length and CRC are the caller's. */
function writeHeader(out: Uint8Array, dv: DataView, sections: readonly [string, number, number][]): void {
  for (let i = 0; i < 8; i++) out[i] = DUMP_MAGIC.charCodeAt(i);
  dv.setUint32(8, DUMP_VERSION, true);
  dv.setUint32(12, sections.length, true);
  sections.forEach(([tag, off, len], i) => {
    const e = DUMP_HEADER_SIZE + i * DUMP_SECTION_ENTRY;
    for (let k = 0; k < 4; k++) out[e + k] = tag.charCodeAt(k);
    dv.setBigUint64(e + 8, BigInt(off), true);
    dv.setBigUint64(e + 16, BigInt(len), true);
  });
}

/**
 * zlib's crc32_combine(): the CRC-32 of A‖B from CRC-32(A), CRC-32(B) and |B|.
 * The pre/post inversions cancel, so it is the same GF(2) step as crc32_le's.
 */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  return crc32LeCombine(crcA, crcB, lenB);
}

/** Where writeDump() puts the file's bytes (an AtomicFileWriter, or memory). */
export interface DumpSink {
  writeAt(bytes: Uint8Array, position: number): void;
}

/** Body bytes written so far are flushed to the sink in pieces of this size. */
const FLUSH_BYTES = 1 << 20;

/**
 * Write the v2 dump of a run's final machine to `sink`, frame by frame: the
 * same bytes as encodeDump(dumpParts(d)), holding one piece of the body at a
 * time instead of every packed frame and the whole file. The body (META,
 * FRMS, DESC) goes first, behind room for the header and section table; those
 * are written last, when the section lengths are known, and the header's
 * CRC-32 of [32, end) is the table's CRC combined with the body's
 * (crc32Combine: zlib's crc32_combine()). Returns the file's length.
 */
export function writeDump(d: DumpInput, sink: DumpSink): number {
  const { pfns, seeds, nruns } = dumpLayout(d);
  const meta = new TextEncoder().encode(JSON.stringify(dumpMeta(d)));
  const nsec = 3;
  const tableEnd = DUMP_HEADER_SIZE + nsec * DUMP_SECTION_ENTRY;
  let pos = tableEnd;
  let crc = 0;
  const out = new Out();
  const flush = (): void => {
    if (out.n === 0) return;
    const b = out.buf.subarray(0, out.n);
    sink.writeAt(b, pos);
    crc = crc32(b, crc);
    pos += out.n;
    out.n = 0;
  };
  out.bytes(meta);
  flush();
  const frmsOff = pos;
  out.u64(pfns.length);
  const scratch = new Uint8Array(lz4CompressBound(PAGE));
  const page = new Uint8Array(PAGE);
  for (const pfn of pfns) {
    d.machine.mem.readPageInto(pfn, page);
    const n = lz4Compress(page, scratch);
    const lz4 = n > 0 && n < PAGE;
    out.u64(pfn);
    out.u8(lz4 ? FRAME_LZ4 : FRAME_RAW);
    out.u8(0);
    out.u8(0);
    out.u8(0);
    out.u32(lz4 ? n : PAGE);
    out.bytes(lz4 ? scratch.subarray(0, n) : page);
    if (out.n >= FLUSH_BYTES) flush();
  }
  flush();
  const descOff = pos;
  out.u32(seeds.length);
  for (const x of seeds) out.u32(x);
  out.u64(nruns);
  d.content.forEachRun((pfn, count, kind, seed, src) => {
    if (kind === ContentKind.KDATA) return;
    descRun(out, pfn, count, kind, seed, src);
    if (out.n >= FLUSH_BYTES) flush();
  });
  flush();
  const total = pos;
  const head = new Uint8Array(tableEnd);
  const dv = new DataView(head.buffer);
  writeHeader(head, dv, [
    ['META', tableEnd, meta.length],
    ['FRMS', frmsOff, descOff - frmsOff],
    ['DESC', descOff, total - descOff],
  ]);
  dv.setBigUint64(16, BigInt(total), true);
  const tableCrc = crc32(head.subarray(DUMP_HEADER_SIZE));
  dv.setUint32(24, crc32Combine(tableCrc, crc, total - tableEnd) >>> 0, true);
  sink.writeAt(head, 0);
  return total;
}

/** A growing in-memory DumpSink. */
class MemorySink implements DumpSink {
  buf = new Uint8Array(1 << 16);
  len = 0;
  writeAt(bytes: Uint8Array, position: number): void {
    const end = position + bytes.length;
    if (end > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < end) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    this.buf.set(bytes, position);
    this.len = Math.max(this.len, end);
  }
}

/** The v2 dump of a run's final machine, in memory (writeDump() to a file for large machines). */
export function makeDump(d: DumpInput): Uint8Array {
  const sink = new MemorySink();
  const n = writeDump(d, sink);
  return sink.buf.slice(0, n);
}
