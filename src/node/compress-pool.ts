/**
 * NodeChunkPool: the ChunkPool of src/power/compress/pool.ts on
 * worker_threads, like the kernel's compression kthreads
 * (kernel/power/swap.c: nr_threads = clamp(num_online_cpus() − 1, 1, CMP_THREADS)).
 *
 * Chunks are packed into batches (about `batchBytes` of input each) so that
 * one message carries several chunks; each batch's input is copied once into
 * an input buffer that the worker reads and the pool reuses for a later batch
 * once the reply is in. Inputs that are ascending views of one buffer (the
 * reader's contiguous device spans) are packed with a single copy of the
 * span; a buffer lent by inputBuffer() is used as is. Input and result
 * buffers are SharedArrayBuffers that the pool registers with every worker
 * once (a 'register' message) and then names by id: request and reply carry
 * ids and offsets, not buffers. (Transferring a result ArrayBuffer made a
 * new ArrayBuffer object per message on each side, whose bytes V8 counts as
 * external memory until a GC sweeps the object: a GB of image meant
 * hundreds of "external memory pressure" collections on the main thread and
 * dozens of full ones, with their marking on V8's helper threads.) Results
 * are views into the batch's result buffer, so they cost no further copy; a
 * caller done with them gives the buffer back (ChunkPool.recycle()) and a
 * later batch reuses it. A result buffer the caller drops without recycling
 * is unregistered from the workers once the main thread's object is
 * collected (FinalizationRegistry).
 * Every batch is posted to every worker as soon as it is packed, and the
 * first worker free to take it claims it (an Atomics.compareExchange on a
 * shared claim ring) while the others skip it: a worker that finishes a
 * batch starts the next one at once, without waiting for the main thread
 * to handle its reply (which it does only when its own work lets it run
 * the event loop). How many batches are out is up to the callers (the
 * reader's and writer's in-flight calls).
 * Results come back in ascending index order whatever order the workers
 * finish in. Idle workers are unref()'d, so a forgotten close() does not
 * keep the process alive.
 *
 * Under vitest/tsx (this module loaded from a .ts file) the worker runs
 * compress-worker.ts through tsx (see newWorker()); from dist/ it is the .js.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FormatError, ModelError } from '../errors.js';
import { CodecError, type CodecErrorCode } from '../lib/codec-errors.js';
import {
  CMP_HEADER,
  CMP_THREADS,
  type CompressorName,
  getChunkCodec,
  UNC_PAGES,
  UNC_SIZE,
} from '../power/compress/compressor.js';
import {
  type ChunkJob,
  type ChunkPool,
  type ChunkResult,
  chunkRecordCap,
  chunkRecordPages,
  type DecompressJob,
  type DecompressResult,
  type FileFill,
  GEN_WORDS,
} from '../power/compress/pool.js';

/** Message to a worker: a batch of chunks packed in `buf`. */
export interface WorkerRequest {
  id: number;
  /** 'digest': each chunk is GEN_WORDS-u32 page descriptors; the result is their pages' pageDigest()s. */
  op: 'compress' | 'decompress' | 'digest';
  codec: CompressorName;
  /** The registered buffer holding the batch's input (offsets/lens into it). */
  inId: number;
  offsets: number[];
  lens: number[];
  /** decompress only: expected length per chunk, −1 = unknown (UNC_SIZE buffer). */
  uncLens?: number[];
  /** The registered buffer the worker writes the results into (big enough for the batch). */
  outId: number;
  /** Page descriptors of the batch (ChunkJob.gen / DecompressJob.expect), GEN_WORDS per page. */
  aux?: Uint32Array;
  /** Word offset in `aux` of each chunk's first page, −1 = none. */
  auxOffsets?: number[];
  /** compress: return pageDigest() of every page (reply.info, offsets in reply.infoOffsets). */
  digests?: boolean;
  /** compress: write each chunk as its swap-page record (ChunkJob.record); offsets point past the u64 header. */
  record?: boolean;
  /** decompress with `aux`: leave matched pages' bytes out of the result (DecompressJob.skipMatched). */
  skipMatched?: boolean;
  /** decompress: fill the input buffer from this file first (ChunkPool FileFill; triples in `reads`). */
  fill?: FileFill;
}

/** Buffer registry messages: the worker keeps `sab` under `id` until told to drop it. */
export type WorkerControl =
  | { op: 'register'; id: number; sab: SharedArrayBuffer }
  | { op: 'unregister'; id: number }
  /** The pool's claim ring (CLAIM_RING i32) and this worker's index: see NodeChunkPool.pump(). */
  | { op: 'claims'; sab: SharedArrayBuffer; index: number };

/** Reply from a worker: results in the request's `outId` buffer (or `buf`), or the first error of the batch. */
export type WorkerReply =
  | {
      id: number;
      /** Only when the registered result buffer was too small (not expected): an own, transferred one. */
      buf?: ArrayBuffer;
      offsets: number[];
      lens: number[];
      crcs: number[];
      /** compress with `digests`: Uint32Array of page digests; decompress with `aux`: Uint8Array match flags. */
      info?: Uint32Array | Uint8Array;
      /** Offset in `info` of each chunk's first page. */
      infoOffsets?: number[];
      error?: undefined;
    }
  | {
      id: number;
      error: {
        isCodec: boolean;
        code: string;
        message: string;
        offset: number;
        outputOffset: number;
        index: number;
      };
    };

/** A reply without an error. */
type OkReply = Extract<WorkerReply, { offsets: number[] }>;

export interface NodeChunkPoolOptions {
  /** Worker count; default clamp(availableParallelism() − 1, 1, CMP_THREADS) as the kernel does. */
  threads?: number;
  /** Input bytes per message (default 1 MiB = 8 full chunks). */
  batchBytes?: number;
}

interface Batch {
  req: WorkerRequest;
  /** The registered input buffer: free again once the reply is in. */
  inSab: SharedArrayBuffer;
  /** The registered result buffer (from pump() on). */
  outSab: SharedArrayBuffer | null;
  /** Bytes the worker's result buffer needs (to pick a recycled one). */
  outBytes: number;
  /** Job indexes (caller's `index` field) of the chunks in this batch. */
  indexes: number[];
  /** Pages per chunk (compress) or UNC_PAGES (decompress): the reply's `info` stride. */
  pages: number[];
  done: (reply: WorkerReply) => void;
  fail: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** This worker's index: a batch it claimed holds −1 − index in the claim ring. */
  index: number;
}

/**
 * Claim ring entries: request `id` is claimed at id % CLAIM_RING, which holds
 * `id` while it is unclaimed. A request is posted only when the request
 * CLAIM_RING ids before it has been answered, so no entry is ever needed by
 * two requests at once.
 */
const CLAIM_RING = 4096;
/** Spare input buffers kept for reuse (per pool). */
const MAX_SPARE = 8;
/** A span may carry this much padding (chunk headers, page tails) besides the chunks themselves. */
const SPAN_SLACK = 1 / 8;

/**
 * Keep `buf` for reuse; when the list is full it replaces the smallest
 * smaller buffer, so a caller that needs bigger buffers than an earlier one
 * (the reader after the writer) does not keep allocating.
 */
function keepSpare<T extends ArrayBufferLike>(list: T[], buf: T): void {
  if (list.length < MAX_SPARE) {
    list.push(buf);
    return;
  }
  let k = 0;
  for (let j = 1; j < list.length; j++) if (list[j]!.byteLength < list[k]!.byteLength) k = j;
  if (list[k]!.byteLength < buf.byteLength) list[k] = buf;
}

/** Default thread count: the kernel rule clamp(online_cpus − 1, 1, 3). */
export function defaultThreads(): number {
  return Math.min(CMP_THREADS, Math.max(1, availableParallelism() - 1));
}

/**
 * The CLI's default host worker count: one per CPU, at most CMP_THREADS.
 * The kernel keeps a CPU for the thread that does the I/O and the CRC
 * (swap.c's "− 1"); here the workers read the image, compute the CRC and
 * digest the pages themselves, and the calling thread mostly waits on them
 * during the codec phases, so a worker per CPU keeps every CPU busy
 * (`hiblab run same-map` on 2 CPUs: 2 workers ~20% less wall and CPU than 1;
 * bench/README.md, cli-run). The modelled kernel's own thread count comes
 * from its profile and CPUs, not from this.
 */
export function defaultHostThreads(): number {
  return Math.min(CMP_THREADS, Math.max(1, availableParallelism()));
}

/**
 * How to start a worker. From dist/ it is compress-worker.js. From source
 * (vitest, `npx tsx`) it is compress-worker.ts, which Node 20 cannot load by
 * itself, and `execArgv: ['--import', 'tsx']` does not help there (Node 20.20
 * still reports 'Unknown file extension ".ts"' for the worker entry). So a
 * two-line eval bootstrap registers tsx's ESM hooks (tsx/esm/api register())
 * inside the worker and then imports the .ts entry.
 */
function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./compress-worker.js', import.meta.url));
  const entry = new URL('./compress-worker.ts', import.meta.url).href;
  const boot =
    `import(${JSON.stringify(tsxEsmApiUrl())})` +
    `.then((m) => { m.register(); return import(${JSON.stringify(entry)}); })` +
    '.catch((e) => { setImmediate(() => { throw e; }); });';
  return new Worker(boot, { eval: true });
}

/** file: URL of tsx's ESM API (a devDependency; only needed when running from source). */
function tsxEsmApiUrl(): string {
  const req = createRequire(import.meta.url);
  const pkgPath = req.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const target = pkg.exports['./esm/api'];
  const rel = typeof target === 'object' ? target.import?.default : undefined;
  if (!rel)
    throw new ModelError('NO_TSX', 'running from TypeScript source needs tsx (tsx/esm/api not found)');
  return pathToFileURL(join(dirname(pkgPath), rel)).href;
}

export class NodeChunkPool implements ChunkPool {
  readonly threads: number;
  /** Workers read a decompress() call's FileFill themselves (pread into the lent input buffer). */
  readonly readsFiles = true;
  private readonly batchBytes: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Batch[] = [];
  /** Posted batches not yet answered, by request id. */
  private readonly inFlight = new Map<number, Batch>();
  /** The claim ring (CLAIM_RING entries), shared with every worker. */
  private readonly claims = new Int32Array(new SharedArrayBuffer(CLAIM_RING * 4));
  /**
   * Registered input buffers no batch uses, ready for the next one. (Shared,
   * not transferred: a transfer made a new ArrayBuffer object per message on
   * each side, external memory for V8's GC to account for, as results did.)
   */
  private readonly spare: SharedArrayBuffer[] = [];
  /** Buffers handed out by inputBuffer() and not yet taken back by a call. */
  private readonly lent = new WeakSet<SharedArrayBuffer>();
  /** Result buffers the caller gave back (recycle()), sent along for the worker to fill. */
  private readonly spareOut: SharedArrayBuffer[] = [];
  /** Registered buffers: their ids (the workers hold them under these). */
  private readonly sabIds = new WeakMap<SharedArrayBuffer, number>();
  /**
   * Result buffers whose views a caller holds (a shared buffer is never
   * detached): recycle() takes only these, once, so a second recycle() after
   * the pool reused a buffer cannot give it to two batches.
   */
  private readonly handedOut = new WeakSet<SharedArrayBuffer>();
  private nextSabId = 1;
  /** A registered buffer the main thread no longer references: the workers drop it too. */
  private readonly gone = new FinalizationRegistry<number>((id) => this.unregister(id));
  private nextId = 1;
  private closed = false;

  constructor(options: NodeChunkPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    this.batchBytes = Math.max(1, options.batchBytes ?? 1 << 20);
    for (let i = 0; i < this.threads; i++) {
      const worker = newWorker();
      const slot: Slot = { worker, index: i };
      const claims: WorkerControl = { op: 'claims', sab: this.claims.buffer as SharedArrayBuffer, index: i };
      worker.postMessage(claims);
      worker.on('message', (reply: WorkerReply) => this.onReply(reply));
      worker.on('error', (e) => this.onCrash(slot, e));
      worker.on('exit', (code) => {
        if (!this.closed) this.onCrash(slot, new Error(`compression worker exited with code ${code}`));
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  async compress(codec: CompressorName, jobs: ChunkJob[]): Promise<ChunkResult[]> {
    getChunkCodec(codec); // reject unknown names on this thread
    const replies = await this.run(
      'compress',
      codec,
      jobs.map((j) => ({
        index: j.index,
        data: j.data,
        uncLen: -1,
        aux: j.gen,
        digests: j.digests,
        record: j.record,
      })),
    );
    const out: ChunkResult[] = [];
    for (const { batch, reply } of replies) {
      const buf = this.resultBytes(batch, reply);
      for (let i = 0; i < batch.indexes.length; i++) {
        const at = reply.offsets[i]!;
        const r: ChunkResult = {
          index: batch.indexes[i]!,
          compressed: buf.subarray(at, at + reply.lens[i]!),
          crc: reply.crcs[i]!,
        };
        if (batch.req.record)
          r.record = buf.subarray(at - CMP_HEADER, at - CMP_HEADER + chunkRecordPages(reply.lens[i]!) * 4096);
        if (reply.info && reply.infoOffsets && reply.infoOffsets[i]! >= 0) {
          const o = reply.infoOffsets[i]!;
          r.digests = (reply.info as Uint32Array).subarray(o, o + batch.pages[i]!);
        }
        out.push(r);
      }
    }
    return out.sort((a, b) => a.index - b.index);
  }

  async decompress(
    codec: CompressorName,
    chunks: DecompressJob[],
    fill?: FileFill,
  ): Promise<DecompressResult[]> {
    getChunkCodec(codec);
    const replies = await this.run(
      'decompress',
      codec,
      chunks.map((c) => ({
        index: c.index,
        data: c.compressed,
        uncLen: c.uncLen ?? -1,
        aux: c.expect,
        skipMatched: c.skipMatched,
      })),
      fill,
    );
    const out: DecompressResult[] = [];
    for (const { batch, reply } of replies) {
      const buf = this.resultBytes(batch, reply);
      for (let i = 0; i < batch.indexes.length; i++) {
        const r: DecompressResult = {
          index: batch.indexes[i]!,
          data: buf.subarray(reply.offsets[i]!, reply.offsets[i]! + reply.lens[i]!),
          crc: reply.crcs[i]!,
        };
        if (reply.info && reply.infoOffsets && reply.infoOffsets[i]! >= 0) {
          const o = reply.infoOffsets[i]!;
          r.match = (reply.info as Uint8Array).subarray(o, o + Math.floor(reply.lens[i]! / 4096));
        }
        out.push(r);
      }
    }
    return out.sort((a, b) => a.index - b.index);
  }

  /**
   * ChunkPool.digestGenerated(): the descriptors are cut into one piece per
   * worker call (a multiple of GEN_WORDS words each) and digested in parallel.
   */
  async digestGenerated(descs: Uint32Array): Promise<Uint32Array> {
    const n = Math.floor(descs.length / GEN_WORDS);
    const out = new Uint32Array(n);
    if (n === 0) return out;
    const bytes = new Uint8Array(descs.buffer, descs.byteOffset, n * GEN_WORDS * 4);
    // ~4096 pages a piece: each is ~16 MiB of generated bytes for a worker.
    const per = 4096 * GEN_WORDS * 4;
    const items: { index: number; data: Uint8Array; uncLen: number }[] = [];
    for (let o = 0, k = 0; o < bytes.length; o += per, k++)
      items.push({ index: k, data: bytes.subarray(o, Math.min(bytes.length, o + per)), uncLen: -1 });
    const replies = await this.run('digest', 'lzo', items);
    for (const { batch, reply } of replies) {
      const buf = this.resultBytes(batch, reply);
      for (let i = 0; i < batch.indexes.length; i++) {
        const k = batch.indexes[i]!;
        out.set(
          new Uint32Array(buf.buffer, buf.byteOffset + reply.offsets[i]!, reply.lens[i]! >>> 2),
          (k * per) / (GEN_WORDS * 4),
        );
      }
      // Copied out: the result buffer is free again.
      if (batch.outSab && !reply.buf) {
        this.handedOut.delete(batch.outSab);
        keepSpare(this.spareOut, batch.outSab);
      }
    }
    return out;
  }

  /**
   * Take back a result buffer (ChunkPool.recycle()). Buffers this pool did
   * not hand out, or that were already given back, are ignored, so a double
   * recycle cannot hand one buffer to two workers.
   */
  recycle(buf: ArrayBufferLike): void {
    if (!(buf instanceof SharedArrayBuffer) || !this.handedOut.has(buf) || this.closed) return;
    this.handedOut.delete(buf);
    keepSpare(this.spareOut, buf);
  }

  /** ChunkPool.inputBuffer(): a spare input buffer the caller fills; a call made of its views hands it to a worker as is. */
  inputBuffer(minBytes: number): Uint8Array {
    const buf = this.takeSpare(minBytes);
    this.lent.add(buf);
    return new Uint8Array(buf);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new ModelError('POOL_CLOSED', 'compression pool closed with work pending');
    for (const b of this.queue.splice(0)) b.fail(err);
    for (const b of this.inFlight.values()) b.fail(err);
    this.inFlight.clear();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Pack items into batches, run them all, and return the replies (first error rejects). */
  private run(
    op: 'compress' | 'decompress' | 'digest',
    codec: CompressorName,
    items: {
      index: number;
      data: Uint8Array;
      uncLen: number;
      aux?: Uint32Array;
      digests?: boolean;
      record?: boolean;
      skipMatched?: boolean;
    }[],
    fill?: FileFill,
  ): Promise<{ batch: Batch; reply: OkReply }[]> {
    if (this.closed) return Promise.reject(new ModelError('POOL_CLOSED', 'compression pool is closed'));
    if (items.length === 0) return Promise.resolve([]);
    const own0 = items[0]!.data.buffer;
    if (fill && !(own0 instanceof SharedArrayBuffer && this.lent.has(own0)))
      return Promise.reject(
        new ModelError('POOL_FILL', 'a file fill needs its inputs in one inputBuffer() buffer'),
      );
    return new Promise((resolve, reject) => {
      const results: { batch: Batch; reply: OkReply }[] = [];
      let pending = 0;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      // All inputs in one inputBuffer() buffer: one batch that hands it over (no copy).
      const own = items[0]!.data.buffer;
      let whole = own instanceof SharedArrayBuffer && this.lent.has(own);
      for (let j = 1; whole && j < items.length; j++) whole = items[j]!.data.buffer === own;
      let i = 0;
      while (i < items.length) {
        // Gather one batch.
        let bytes = 0;
        const start = i;
        while (
          i < items.length &&
          (i === start || whole || bytes + items[i]!.data.length <= this.batchBytes)
        ) {
          bytes += items[i]!.data.length;
          i++;
        }
        const group = items.slice(start, i);
        const { buf, offsets, lens } = whole
          ? this.lend(group, own as SharedArrayBuffer)
          : this.pack(group, bytes);
        const inId = this.sabIds.get(buf)!;
        const req: WorkerRequest = { id: this.nextId++, op, codec, inId, outId: 0, offsets, lens };
        if (fill && fill.reads.length > 0) req.fill = fill;
        let outBytes = 0;
        if (op === 'decompress') {
          req.uncLens = group.map((g) => g.uncLen);
          for (const g of group) outBytes += g.uncLen >= 0 ? g.uncLen : UNC_SIZE;
        } else if (op === 'digest') {
          for (const g of group) outBytes += g.data.length / GEN_WORDS;
        } else {
          const c = getChunkCodec(codec);
          req.record = group.some((g) => g.record);
          for (const g of group)
            outBytes += req.record
              ? chunkRecordCap(c.worstCompress(g.data.length))
              : c.worstCompress(g.data.length);
        }
        // Compress: pages per chunk; decompress: at most UNC_PAGES.
        const pages = group.map((g) => (op === 'compress' ? Math.floor(g.data.length / 4096) : UNC_PAGES));
        if (group.some((g) => g.aux)) {
          let words = 0;
          for (const p of pages) words += p * GEN_WORDS;
          const aux = new Uint32Array(words);
          const auxOffsets: number[] = new Array(group.length);
          for (let j = 0, w = 0; j < group.length; w += pages[j]! * GEN_WORDS, j++) {
            const a = group[j]!.aux;
            if (a) aux.set(a.subarray(0, Math.min(a.length, pages[j]! * GEN_WORDS)), w);
            auxOffsets[j] = a ? w : -1;
          }
          req.aux = aux;
          req.auxOffsets = auxOffsets;
        }
        if (op === 'compress' && group.some((g) => g.digests)) req.digests = true;
        // Only when every job of the batch allows it (one flag per message).
        if (op === 'decompress' && req.aux && group.every((g) => g.skipMatched)) req.skipMatched = true;
        pending++;
        const batch: Batch = {
          req,
          inSab: buf,
          outSab: null,
          outBytes,
          pages,
          indexes: group.map((g) => g.index),
          done: (reply) => {
            if (failed) return;
            if (reply.error) {
              const { isCodec, code, message, offset, outputOffset, index } = reply.error;
              const where = `chunk ${batch.indexes[index]}`;
              fail(
                isCodec
                  ? new CodecError(code as CodecErrorCode, `${where}: ${message}`, offset, outputOffset)
                  : code === 'READ_FAILED'
                    ? // The worker's own read of the image file (a FileFill) failed: the input, not hiblab.
                      new FormatError('READ_FAILED', `${where}: cannot read the image: ${message}`, {
                        offset,
                      })
                    : new ModelError('WORKER_FAILED', `${where}: ${message}`),
              );
              return;
            }
            results.push({ batch, reply });
            if (--pending === 0) resolve(results);
          },
          fail,
        };
        this.queue.push(batch);
      }
      this.pump();
    });
  }

  /**
   * Copy a batch's inputs into one registered input buffer (a reused one
   * when possible). Ascending views of one ArrayBuffer are copied as one span.
   */
  private pack(
    group: { data: Uint8Array }[],
    bytes: number,
  ): { buf: SharedArrayBuffer; offsets: number[]; lens: number[] } {
    const first = group[0]!.data;
    const last = group[group.length - 1]!.data;
    let span = first.buffer === last.buffer ? last.byteOffset + last.length - first.byteOffset : -1;
    if (span > bytes + bytes * SPAN_SLACK + 8192) span = -1;
    for (let j = 1; span >= 0 && j < group.length; j++) {
      const a = group[j - 1]!.data;
      const b = group[j]!.data;
      if (b.buffer !== first.buffer || b.byteOffset < a.byteOffset + a.length) span = -1;
    }
    const need = span >= 0 ? span : bytes;
    const buf = this.takeSpare(need);
    const packed = new Uint8Array(buf, 0, need);
    const offsets: number[] = new Array(group.length);
    const lens: number[] = new Array(group.length);
    if (span >= 0) {
      packed.set(new Uint8Array(first.buffer, first.byteOffset, span));
      for (let j = 0; j < group.length; j++) {
        const d = group[j]!.data;
        offsets[j] = d.byteOffset - first.byteOffset;
        lens[j] = d.length;
      }
    } else {
      let pos = 0;
      for (let j = 0; j < group.length; j++) {
        const d = group[j]!.data;
        packed.set(d, pos);
        offsets[j] = pos;
        lens[j] = d.length;
        pos += d.length;
      }
    }
    return { buf, offsets, lens };
  }

  /** A batch whose inputs are views of `buf` (from inputBuffer()): the worker reads `buf` itself. */
  private lend(
    group: { data: Uint8Array }[],
    buf: SharedArrayBuffer,
  ): { buf: SharedArrayBuffer; offsets: number[]; lens: number[] } {
    this.lent.delete(buf);
    const offsets: number[] = new Array(group.length);
    const lens: number[] = new Array(group.length);
    for (let j = 0; j < group.length; j++) {
      offsets[j] = group[j]!.data.byteOffset;
      lens[j] = group[j]!.data.length;
    }
    return { buf, offsets, lens };
  }

  /** A spare input buffer of at least `n` bytes, or a new registered one (sized for reuse). */
  private takeSpare(n: number): SharedArrayBuffer {
    for (let j = this.spare.length - 1; j >= 0; j--) {
      const b = this.spare[j]!;
      if (b.byteLength >= n) {
        this.spare.splice(j, 1);
        return b;
      }
    }
    return this.register(Math.max(n, Math.ceil(this.batchBytes * (1 + SPAN_SLACK)) + 8192));
  }

  /** A spare result buffer of at least `n` bytes, or a new registered one. */
  private takeSpareOut(n: number): SharedArrayBuffer {
    let k = -1;
    for (let j = 0; j < this.spareOut.length; j++) {
      const b = this.spareOut[j]!;
      if (b.byteLength >= n && (k < 0 || b.byteLength < this.spareOut[k]!.byteLength)) k = j;
    }
    if (k >= 0) return this.spareOut.splice(k, 1)[0]!;
    // Rounded up to 1 MiB, so batches of slightly different sizes share buffers.
    return this.register(Math.ceil(n / (1 << 20)) * (1 << 20));
  }

  /** A new SharedArrayBuffer, registered with every worker (messages keep their order, so before any batch uses it). */
  private register(bytes: number): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(bytes);
    const id = this.nextSabId++;
    this.sabIds.set(sab, id);
    this.gone.register(sab, id);
    const msg: WorkerControl = { op: 'register', id, sab };
    for (const s of this.slots) s.worker.postMessage(msg);
    return sab;
  }

  private unregister(id: number): void {
    if (this.closed) return;
    const msg: WorkerControl = { op: 'unregister', id };
    for (const s of this.slots) s.worker.postMessage(msg);
  }

  /** The bytes a reply's offsets point into: the batch's registered result buffer, or the reply's own. */
  private resultBytes(batch: Batch, reply: OkReply): Uint8Array {
    if (reply.buf) {
      // The worker could not use the registered buffer: it stays free.
      if (batch.outSab) keepSpare(this.spareOut, batch.outSab);
      return new Uint8Array(reply.buf);
    }
    this.handedOut.add(batch.outSab!);
    return new Uint8Array(batch.outSab!);
  }

  /**
   * Post queued batches to every worker (the first one free claims each):
   * all of them, unless the claim-ring entry of one is still held by an
   * unanswered request.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.slots.length > 0) {
      const batch = this.queue[0]!;
      const id = batch.req.id;
      if (this.inFlight.has(id - CLAIM_RING)) return;
      this.queue.shift();
      if (this.inFlight.size === 0) for (const s of this.slots) s.worker.ref();
      this.inFlight.set(id, batch);
      batch.outSab = this.takeSpareOut(batch.outBytes);
      batch.req.outId = this.sabIds.get(batch.outSab)!;
      Atomics.store(this.claims, id % CLAIM_RING, id);
      for (const s of this.slots) s.worker.postMessage(batch.req);
    }
  }

  private onReply(reply: WorkerReply): void {
    const batch = this.inFlight.get(reply.id);
    if (!batch) return;
    this.inFlight.delete(reply.id);
    // The worker is done with the input; the result buffer is the caller's until recycled (or on error, free).
    keepSpare(this.spare, batch.inSab);
    if (reply.error && batch.outSab) keepSpare(this.spareOut, batch.outSab);
    if (this.inFlight.size === 0) for (const s of this.slots) s.worker.unref();
    batch.done(reply);
    this.pump();
  }

  private onCrash(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    const err = new ModelError('WORKER_FAILED', `compression worker failed: ${e.message}`);
    // What it had claimed is lost; what nobody claimed yet the others still take (they got it too).
    const mine = -1 - slot.index;
    for (const [id, b] of this.inFlight) {
      if (this.slots.length === 0 || Atomics.load(this.claims, id % CLAIM_RING) === mine) {
        this.inFlight.delete(id);
        b.fail(err);
      }
    }
    if (this.slots.length === 0) for (const b of this.queue.splice(0)) b.fail(err);
    else this.pump();
  }
}
