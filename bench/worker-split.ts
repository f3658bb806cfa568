/**
 * Where a compression worker's CPU goes, per 128 KiB chunk: the loop of
 * src/node/compress-worker.ts for a hibernate batch (generate the pages from
 * their descriptors, compress the chunk into its swap-page record, crc32_le,
 * pageDigest per page), timed phase by phase on one thread, against native
 * liblzo2 lzo1x_1_compress on the same chunk bytes.
 *
 *   npx tsx bench/worker-split.ts [MiB]      (default 256)
 *
 * Data: the page descriptors `bench/engine.ts` produces: its workload groups
 * (1/4 page cache, 1/16 slab, the rest anonymous) with their default content
 * weights (src/workload/types.ts DEFAULT_CONTENTS), zero pages left out (a
 * 6.6+ image does not carry them). Each phase is timed with the CPU clock of
 * this thread around every call; the summary is CPU µs per chunk and the
 * ratio of the worker's whole loop to native compression alone. Both LZO
 * backends are timed (`lzoCompress`, the active one, and the JS reference).
 */
import { pathToFileURL } from 'node:url';
import { crc32Le } from '../src/lib/crc32.js';
import { lzo1xCompress } from '../src/lib/lzo1x.js';
import { UNC_PAGES, UNC_SIZE } from '../src/power/compress/compressor.js';
import {
  chunkRecordCap,
  compressRecordInto,
  digestInto,
  GEN_WORDS,
  generateInto,
} from '../src/power/compress/pool.js';
import { Prng } from '../src/util/prng.js';
import { ContentKind } from '../src/workload/content.js';
import { lzoNative } from './codecs.js';
import '../src/node/install-fast-paths.js';

const MIB = 1 << 20;

/** Descriptors of `chunks` full chunks drawn like the engine bench's workload. */
export function engineDescriptors(chunks: number, seed = 'hiblab-worker-split'): Uint32Array {
  const rng = new Prng(seed);
  const pages = chunks * UNC_PAGES;
  const out = new Uint32Array(pages * GEN_WORDS);
  // [weight of the group, [text, pointer, random] weights] (zero pages are not in a 6.6+ image).
  const groups: [number, number[]][] = [
    [11, [2, 3, 3]], // anon
    [4, [6, 0, 3]], // pagecache
    [1, [1, 7, 1]], // slab
  ];
  const kinds = [ContentKind.TEXT, ContentKind.POINTER, ContentKind.RANDOM];
  for (let p = 0; p < pages; p++) {
    let g = rng.below(16);
    let gi = 0;
    while (g >= groups[gi]![0]) g -= groups[gi++]![0];
    const w = groups[gi]![1];
    let k = rng.below(w[0]! + w[1]! + w[2]!);
    let ki = 0;
    while (k >= w[ki]!) k -= w[ki++]!;
    out[p * GEN_WORDS] = kinds[ki]!;
    out[p * GEN_WORDS + 1] = 42;
    out[p * GEN_WORDS + 2] = 0x100000 + p;
  }
  return out;
}

export interface SplitResult {
  chunks: number;
  /** CPU µs per chunk of each phase. */
  us: Record<string, number>;
}

export function runWorkerSplit(mib = 256, log: (s: string) => void = console.log): SplitResult {
  const chunks = Math.max(1, Math.floor((mib * MIB) / UNC_SIZE));
  const descs = engineDescriptors(chunks);
  const data = new Uint8Array(UNC_SIZE);
  const rec = new Uint8Array(chunkRecordCap(UNC_SIZE + UNC_SIZE / 16 + 64 + 3 + 2));
  const jsOut = new Uint8Array(UNC_SIZE + UNC_SIZE / 16 + 64 + 3);
  const natIn = Buffer.from(data.buffer, data.byteOffset, data.length);
  const natOut = Buffer.alloc(UNC_SIZE + UNC_SIZE / 16 + 64 + 3);
  const digests = new Uint32Array(UNC_PAGES);
  const work = new Uint16Array(8192);
  const phases = [
    'generate',
    'compress (active backend, record)',
    'compress (JS lzo1xCompress)',
    'crc32',
    'digest',
    'native lzo1x_1',
  ];
  const ns = new Map<string, number>(phases.map((p) => [p, 0]));
  let crcAcc = 0;
  let cmpActive = 0;
  let cmpNative = 0;
  const gen = (c: number) => generateInto(data, descs, c * UNC_PAGES * GEN_WORDS);
  // Phase by phase over all chunks, each call between two reads of the CPU
  // clock (getrusage: this bench runs on one thread). A phase that needs the
  // chunk's bytes regenerates them untimed first.
  const cpuUs = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const timed = (name: string, fn: () => void, regenerate: boolean) => {
    let total = 0;
    for (let c = 0; c < chunks; c++) {
      if (regenerate) gen(c);
      const t0 = cpuUs();
      if (regenerate) fn();
      else gen(c);
      total += cpuUs() - t0;
    }
    ns.set(name, ns.get(name)! + total);
  };
  for (let round = 0; round < 2; round++) {
    // Round 0 warms the JIT; round 1 is measured.
    for (const p of phases) ns.set(p, 0);
    cmpActive = 0;
    cmpNative = 0;
    timed('generate', () => {}, false);
    timed(
      'compress (active backend, record)',
      () => {
        cmpActive += compressRecordInto('lzo', data, rec, 0);
      },
      true,
    );
    timed(
      'compress (JS lzo1xCompress)',
      () => {
        lzo1xCompress(data, jsOut, work);
      },
      true,
    );
    timed(
      'crc32',
      () => {
        crcAcc = crc32Le(crcAcc, data);
      },
      true,
    );
    timed('digest', () => digestInto(data, digests, 0), true);
    timed(
      'native lzo1x_1',
      () => {
        const r = lzoNative.compress(natIn, natOut);
        if (r.err !== 0) throw new Error(`liblzo compress failed: ${r.err}`);
        cmpNative += r.len;
      },
      true,
    );
  }
  const us: Record<string, number> = {};
  log(`worker split: ${chunks} chunks of ${UNC_SIZE} bytes (engine page mix), node ${process.version}`);
  for (const p of phases) {
    us[p] = ns.get(p)! / chunks;
    log(
      `  ${p.padEnd(36)} ${us[p]!.toFixed(1).padStart(7)} µs/chunk  ${(UNC_SIZE / MIB / (us[p]! / 1e6)).toFixed(0).padStart(6)} MiB/s`,
    );
  }
  const worker = us.generate! + us['compress (active backend, record)']! + us.crc32! + us.digest!;
  const workerJs = us.generate! + us['compress (JS lzo1xCompress)']! + us.crc32! + us.digest!;
  const nat = us['native lzo1x_1']!;
  log(
    `  worker loop (active): ${worker.toFixed(1)} µs/chunk = ${(worker / nat).toFixed(2)}× native compress`,
  );
  log(
    `  worker loop (JS LZO): ${workerJs.toFixed(1)} µs/chunk = ${(workerJs / nat).toFixed(2)}× native compress`,
  );
  log(
    `  compressed: active ${(cmpActive / chunks).toFixed(0)} B/chunk, native ${(cmpNative / chunks).toFixed(0)} B/chunk (crc ${crcAcc >>> 0})`,
  );
  return { chunks, us };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mib = Number(process.argv[2] ?? 256);
  runWorkerSplit(Number.isFinite(mib) && mib > 0 ? mib : 256);
}
