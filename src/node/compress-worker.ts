/**
 * worker_threads side of NodeChunkPool (src/node/compress-pool.ts): one
 * "image_compress/%u" / "image_decompress/%u" thread. It receives a batch of
 * chunks packed into one registered input buffer, runs the codec and
 * crc32_le on each (a chunk to compress is first laid out in this thread's
 * WebAssembly module, where its pages are generated, compressed and
 * digested: src/power/compress/wasm-pages.ts; an LZO chunk to decompress is
 * decompressed there, crc'd and compared with its expected pages in place;
 * HIBLAB_CODEC=js keeps it all in TS), and writes the results into the
 * batch's result buffer: a SharedArrayBuffer the pool registered with this
 * thread beforehand ('register' messages, kept here by id until
 * 'unregister'), so the reply carries offsets, not a buffer. The input is
 * a registered buffer too (the pool reuses it once the reply is in).
 *
 * Messages (see WorkerRequest / WorkerControl / WorkerReply in compress-pool.ts):
 *   control: { op: 'register', id, sab } | { op: 'unregister', id }
 *   request: { id, op: 'compress'|'decompress'|'digest', codec, inId, outId, offsets, lens, uncLens?, aux?, record? }
 *   reply:   { id, offsets, lens, crcs, info? } or { id, error: {…} }
 * Every byte a reply points at is written by this batch. A result buffer
 * smaller than the batch needs (the pool sizes them, so not expected) is
 * replaced by an own ArrayBuffer, transferred back as `buf`. With `record`,
 * each compressed chunk is written as its swap pages (u64 cmp_len, stream,
 * zero pad; compressRecordInto()), page aligned and back to back, and
 * offsets[i] points at the stream, 8 bytes into its record.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CodecError } from '../lib/codec-errors.js';
import { crc32Le } from '../lib/crc32.js';
import { lzo1xDecompressWasmAt, lzo1xDecompressWasmInPlace, lzo1xWasmInput } from '../lib/lzo1x-wasm.js';
import { CMP_HEADER, getChunkCodec, UNC_PAGES, UNC_SIZE } from '../power/compress/compressor.js';
import {
  chunkRecordCap,
  chunkRecordPages,
  compressRecordInto,
  decompressChunk,
  digestGenerated,
  digestInto,
  GEN_WORDS,
  generateInto,
  matchGenerated,
} from '../power/compress/pool.js';
import { pagesWasm, prepareChunk } from '../power/compress/wasm-pages.js';
import type { WorkerControl, WorkerReply, WorkerRequest } from './compress-pool.js';
import './install-fast-paths.js';

/** The pool's registered buffers, by id. */
const buffers = new Map<number, SharedArrayBuffer>();

/** One page of scratch for generated pages (matchGenerated, digestGenerated). */
const scratch = new Uint8Array(4096);

/** Where handle() writes a batch's results (one object per batch). */
interface ChunkState {
  out: Uint8Array;
  pos: number;
  offsets: number[];
  lens: number[];
  crcs: number[];
  info: Uint32Array | Uint8Array | undefined;
  infoOffsets: number[] | undefined;
  infoPos: number;
}

/** Chunk i of a compress request. */
function compressOne(
  req: WorkerRequest,
  i: number,
  src: Uint8Array,
  codec: ReturnType<typeof getChunkCodec>,
  st: ChunkState,
): void {
  const ao = req.auxOffsets?.[i] ?? -1;
  // The chunk in the WebAssembly module's memory, its described pages
  // generated there (the compressor, crc32 and digests read it in place),
  // or, without WebAssembly, the pages generated into the input buffer.
  const w = pagesWasm();
  let chunk: Uint8Array = src;
  if (w) chunk = prepareChunk(w, src, ao >= 0 ? req.aux : undefined, ao);
  else if (ao >= 0) generateInto(src, req.aux!, ao);
  if (req.record) {
    // The chunk's swap pages, records back to back (the writer writes many in one call).
    const n = compressRecordInto(req.codec, chunk, st.out, st.pos);
    st.offsets[i] = st.pos + CMP_HEADER;
    st.lens[i] = n;
    st.pos += chunkRecordPages(n) * 4096;
  } else {
    const cap = codec.worstCompress(chunk.length);
    const n = codec.compress(chunk, st.out.subarray(st.pos, st.pos + cap));
    st.offsets[i] = st.pos;
    st.lens[i] = n;
    st.pos += cap;
  }
  st.crcs[i] = crc32Le(0, chunk);
  if (st.info) {
    st.infoOffsets![i] = st.infoPos;
    digestInto(chunk, st.info as Uint32Array, st.infoPos);
    st.infoPos += Math.floor(chunk.length / 4096);
  }
}

/** Chunk i of a digest request: GEN_WORDS-u32 descriptors → their pages' digests. */
function digestOne(i: number, src: Uint8Array, st: ChunkState): void {
  const cap = src.length / GEN_WORDS;
  const descs = new Uint32Array(src.buffer, src.byteOffset, src.length >>> 2);
  digestGenerated(descs, new Uint32Array(st.out.buffer, st.out.byteOffset + st.pos, cap >>> 2), scratch);
  st.crcs[i] = 0;
  st.offsets[i] = st.pos;
  st.lens[i] = cap;
  st.pos += cap;
}

/** preadFull(): `len` bytes of `fd` at `pos` into dst[at..]; false on a short read. */
function readWhole(fd: number, dst: Uint8Array, at: number, len: number, pos: number): boolean {
  let got = 0;
  while (got < len) {
    const n = readSync(fd, dst, at + got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len;
}

/**
 * A chunk's stream read from the image file straight into the module's
 * memory (WorkerRequest.fill, decompressed in WebAssembly): its place in the
 * file is that of its input range in the fill's read that holds it. Returns
 * the stream's address there, or −1 for a chunk no read covers (one the
 * main thread read piecewise into the input buffer: a swap map page inside).
 */
function readIntoModule(
  w: NonNullable<ReturnType<typeof pagesWasm>>,
  req: WorkerRequest,
  fd: number,
  i: number,
  cap: number,
): number {
  const o = req.offsets[i]!;
  const len = req.lens[i]!;
  const r = req.fill!.reads;
  let k = 0;
  while (k < r.length && !(r[k + 1]! <= o && o + len <= r[k + 1]! + r[k + 2]!)) k += 3;
  if (k >= r.length) return -1;
  const input = lzo1xWasmInput(w, len, cap);
  const at = r[k]! + (o - r[k + 1]!);
  if (!readWhole(fd, w.bytes, input, len, at)) throw shortRead(req.fill!.file, len, at);
  return input;
}

/** Chunk i of a decompress request (`fd` ≥ 0: its stream is read from the fill's file here). */
function decompressOne(req: WorkerRequest, i: number, src: Uint8Array, st: ChunkState, fd: number): void {
  const want = req.uncLens?.[i] ?? -1;
  const cap = want >= 0 ? want : UNC_SIZE;
  const dst = st.out.subarray(st.pos, st.pos + cap);
  // LZO in the WebAssembly module: decompressed into its src region, where the
  // crc32 and the expected-page comparison read it, then copied out once. A
  // stream it rejects (or of the wrong length) goes through the TS reference,
  // which throws the error with its offsets.
  const w = req.codec === 'lzo' ? pagesWasm() : null;
  let n: number;
  const input = w && fd >= 0 ? readIntoModule(w, req, fd, i, cap) : -1;
  if (input >= 0) {
    n = lzo1xDecompressWasmAt(w!, input, src.length, cap);
    // A stream the module rejects: the TS reference below reads it from `src` (not filled).
    if (n < 0 || (want >= 0 && n !== want)) src.set(w!.bytes.subarray(input, input + src.length));
  } else n = w ? lzo1xDecompressWasmInPlace(w, src, cap) : -1;
  const inModule = w !== null && n >= 0 && (want < 0 || n === want);
  let chunk: Uint8Array;
  if (inModule) chunk = w.bytes.subarray(w.src, w.src + n);
  else {
    n = decompressChunk(req.codec, src, dst, want >= 0 ? want : undefined);
    chunk = dst.subarray(0, n);
  }
  st.crcs[i] = crc32Le(0, chunk);
  const ao = st.info ? (req.auxOffsets?.[i] ?? -1) : -1;
  if (st.info) {
    st.infoOffsets![i] = ao >= 0 ? i * UNC_PAGES : -1;
    if (ao >= 0)
      matchGenerated(
        chunk.subarray(0, Math.min(n, UNC_SIZE)),
        req.aux!,
        ao,
        st.info as Uint8Array,
        i * UNC_PAGES,
        scratch,
      );
  }
  if (inModule) {
    // The comparison ran in the module (its memory did not grow: same size reserved).
    if (req.skipMatched && ao >= 0)
      copyUnmatched(w.bytes, w.src, n, dst, st.info as Uint8Array, i * UNC_PAGES);
    else dst.set(w.bytes.subarray(w.src, w.src + n));
  }
  st.offsets[i] = st.pos;
  st.lens[i] = n;
  st.pos += cap;
}

/**
 * DecompressJob.skipMatched: copy out of the module only the pages the
 * comparison did not match (runs of them, one set() each) and the bytes
 * after the last whole page; a matched page's bytes in `dst` stay whatever
 * the result buffer held (its reader makes them from the descriptor if it
 * ever needs them). Most pages of a resume match, and this copy into the
 * shared result buffer was a tenth of a worker's load time.
 */
function copyUnmatched(
  bytes: Uint8Array,
  at: number,
  n: number,
  dst: Uint8Array,
  match: Uint8Array,
  matchAt: number,
): void {
  const pages = Math.min(UNC_PAGES, Math.floor(n / 4096));
  let p = 0;
  while (p < pages) {
    if (match[matchAt + p] !== 0) {
      p++;
      continue;
    }
    const p0 = p;
    while (p < pages && match[matchAt + p] === 0) p++;
    dst.set(bytes.subarray(at + p0 * 4096, at + p * 4096), p0 * 4096);
  }
  if (n > pages * 4096) dst.set(bytes.subarray(at + pages * 4096, at + n), pages * 4096);
}

/**
 * WorkerRequest.fill: the batch's compressed bytes read from the image file
 * into the input buffer here (the loader's device reads, off its thread).
 * Throws on a short read (the file shrank after the reader checked it).
 */
function fillInput(fill: NonNullable<WorkerRequest['fill']>, fd: number, input: Uint8Array): void {
  const r = fill.reads;
  for (let k = 0; k + 2 < r.length; k += 3)
    if (!readWhole(fd, input, r[k + 1]!, r[k + 2]!, r[k]!)) throw shortRead(fill.file, r[k + 2]!, r[k]!);
}

/** A read of the image file that came back short: READ_FAILED at the file offset (the pool's FormatError). */
function shortRead(file: string, len: number, at: number): Error {
  return Object.assign(new Error(`short read of ${file}: ${len} bytes at ${at}`), {
    code: 'READ_FAILED',
    location: { offset: at },
  });
}

function handle(req: WorkerRequest): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  // Opened per batch: no descriptor outlives the batch, whatever happens to the stream that asked.
  let fd = -1;
  try {
    if (req.fill) fd = openSync(req.fill.file, 'r');
    return handleBatch(req, fd);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { location?: { offset: number } };
    const message = err.code && err.code !== 'READ_FAILED' ? `${req.fill?.file}: ${err.code}` : err.message;
    const offset = err.location?.offset ?? 0;
    const error = { isCodec: false, code: 'READ_FAILED', message, offset, outputOffset: 0, index: 0 };
    return { reply: { id: req.id, error }, transfer: [] };
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function handleBatch(req: WorkerRequest, fd: number): { reply: WorkerReply; transfer: ArrayBuffer[] } {
  const input = new Uint8Array(buffers.get(req.inId)!);
  // LZO streams in WebAssembly are read straight into the module, chunk by chunk
  // (no copy through the input buffer); anything else reads the fill here.
  const direct = fd >= 0 && req.op === 'decompress' && req.codec === 'lzo' && pagesWasm() !== null;
  if (fd >= 0 && !direct) fillInput(req.fill!, fd, input);
  const count = req.lens.length;
  const codec = getChunkCodec(req.codec);
  const offsets: number[] = new Array(count);
  const lens: number[] = new Array(count);
  const crcs: number[] = new Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    total +=
      req.op === 'compress'
        ? req.record
          ? chunkRecordCap(codec.worstCompress(req.lens[i]!))
          : codec.worstCompress(req.lens[i]!)
        : req.op === 'digest'
          ? req.lens[i]! / GEN_WORDS
          : (req.uncLens?.[i] ?? -1) >= 0
            ? req.uncLens![i]!
            : UNC_SIZE;
  }
  // Per-page results: compress digests (Uint32) or decompress match flags (Uint8).
  let info: Uint32Array | Uint8Array | undefined;
  let infoOffsets: number[] | undefined;
  if (req.op === 'compress' && req.digests) {
    let pages = 0;
    for (let i = 0; i < count; i++) pages += Math.floor(req.lens[i]! / 4096);
    info = new Uint32Array(pages);
    infoOffsets = new Array(count);
  } else if (req.op === 'decompress' && req.aux) {
    info = new Uint8Array(count * UNC_PAGES);
    infoOffsets = new Array(count);
  }
  // The registered result buffer when it is big enough (the pool sizes it),
  // else an own (unpooled) ArrayBuffer of exactly `total` bytes, transferred back.
  const outSab = buffers.get(req.outId);
  let out: Uint8Array;
  if (outSab && outSab.byteLength >= total) out = new Uint8Array(outSab);
  else {
    const raw = Buffer.allocUnsafeSlow(total);
    out = new Uint8Array(raw.buffer, raw.byteOffset, total);
  }
  const st: ChunkState = { out, pos: 0, offsets, lens, crcs, info, infoOffsets, infoPos: 0 };
  for (let i = 0; i < count; i++) {
    const src = input.subarray(req.offsets[i]!, req.offsets[i]! + req.lens[i]!);
    try {
      // One small function per operation: V8 optimises each for its own op
      // (a single loop body for all three was recompiled when resume's first
      // decompress reached a branch the hibernate side never took).
      if (req.op === 'compress') compressOne(req, i, src, codec, st);
      else if (req.op === 'digest') digestOne(i, src, st);
      else decompressOne(req, i, src, st, direct ? fd : -1);
    } catch (e) {
      const err = e as Error & Partial<CodecError>;
      return {
        reply: {
          id: req.id,
          error: {
            isCodec: e instanceof CodecError,
            code: String(err.code ?? 'INTERNAL'),
            message: err.message,
            offset: err.location?.offset ?? 0,
            outputOffset: err.outputOffset ?? 0,
            index: i,
          },
        },
        transfer: [],
      };
    }
  }
  // Results in the registered buffer: nothing to transfer.
  const own = out.buffer instanceof SharedArrayBuffer ? undefined : (out.buffer as ArrayBuffer);
  return {
    reply: { id: req.id, buf: own, offsets, lens, crcs, info, infoOffsets },
    transfer: own ? [own] : [],
  };
}

/** The pool's claim ring and this worker's index (a 'claims' message, before any request). */
let claims: Int32Array | null = null;
let claimedBy = 0;

parentPort?.on('message', (msg: WorkerRequest | WorkerControl) => {
  if (msg.op === 'claims') {
    claims = new Int32Array(msg.sab);
    claimedBy = -1 - msg.index;
    return;
  }
  if (msg.op === 'register') {
    buffers.set(msg.id, msg.sab);
    return;
  }
  if (msg.op === 'unregister') {
    buffers.delete(msg.id);
    return;
  }
  // Every worker gets every request; the first to get here takes it, the others skip it.
  if (claims && Atomics.compareExchange(claims, msg.id % claims.length, msg.id, claimedBy) !== msg.id) return;
  const { reply, transfer } = handle(msg);
  parentPort!.postMessage(reply, transfer);
});
