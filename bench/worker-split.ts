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
 * ratio of the worker's whole loop to native compression alone, for both
 * paths: TS (HIBLAB_CODEC=js: pages generated into the job buffer, the TS
 * compressor and digest) and WASM (the default: the chunk prepared, compressed
 * and digested in the WebAssembly module). Message passing is not included.
 * Then the resume side's worker loop (decompress, crc32, matchGenerated,
 * the verify's digestGenerated) against native decompression.
 */
import { pathToFileURL } from 'node:url';
import { crc32Le } from '../src/lib/crc32.js';
import { lzo1xWorstCompress } from '../src/lib/lzo1x.js';
import { setLzoCompressBackend } from '../src/lib/lzo1x-wasm.js';
import { bytesWorst6x, CMP_HEADER, UNC_PAGES, UNC_SIZE } from '../src/power/compress/compressor.js';
import {
  chunkRecordCap,
  compressRecordInto,
  decompressChunk,
  digestGenerated,
  digestInto,
  GEN_WORDS,
  generateInto,
  matchGenerated,
} from '../src/power/compress/pool.js';
import { pagesWasm, prepareChunk } from '../src/power/compress/wasm-pages.js';
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
  /** CPU µs per chunk of each phase, per backend ('ts', 'wasm'), and native compression. */
  us: { ts: Record<string, number>; wasm: Record<string, number>; native: number };
}

const PHASES = ['generate', 'compress', 'crc32', 'digest'] as const;

export function runWorkerSplit(mib = 256, log: (s: string) => void = console.log): SplitResult {
  const chunks = Math.max(1, Math.floor((mib * MIB) / UNC_SIZE));
  const descs = engineDescriptors(chunks);
  const data = new Uint8Array(UNC_SIZE);
  const rec = new Uint8Array(chunkRecordCap(bytesWorst6x(UNC_SIZE)));
  const natIn = Buffer.from(data.buffer, data.byteOffset, data.length);
  const natOut = Buffer.alloc(lzo1xWorstCompress(UNC_SIZE));
  const digests = new Uint32Array(UNC_PAGES);
  let crcAcc = 0;
  let cmpBytes = 0;
  // Each call between two reads of the CPU clock (getrusage; this bench is one thread).
  const cpuUs = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  /**
   * One pass of the worker's compress loop over every chunk with the given
   * backend, each phase timed: 'ts' = HIBLAB_CODEC=js (pages generated into
   * the job buffer, TS compressor, TS digest), 'wasm' = the default
   * (prepareChunk in the module, compressed and digested there).
   */
  const workerPass = (backend: 'ts' | 'wasm') => {
    setLzoCompressBackend(backend === 'ts' ? 'js' : 'wasm');
    const w = pagesWasm();
    const us: Record<string, number> = { generate: 0, compress: 0, crc32: 0, digest: 0 };
    cmpBytes = 0;
    for (let c = 0; c < chunks; c++) {
      const at = c * UNC_PAGES * GEN_WORDS;
      let t = cpuUs();
      let chunk: Uint8Array = data;
      if (w) chunk = prepareChunk(w, data, descs, at);
      else generateInto(data, descs, at);
      let t2 = cpuUs();
      us.generate! += t2 - t;
      t = t2;
      cmpBytes += compressRecordInto('lzo', chunk, rec, 0);
      t2 = cpuUs();
      us.compress! += t2 - t;
      t = t2;
      crcAcc = crc32Le(crcAcc, chunk);
      t2 = cpuUs();
      us.crc32! += t2 - t;
      t = t2;
      digestInto(chunk, digests, 0);
      us.digest! += cpuUs() - t;
    }
    for (const k of PHASES) us[k] = us[k]! / chunks;
    return us;
  };
  const nativePass = () => {
    setLzoCompressBackend('js');
    let total = 0;
    cmpBytes = 0;
    for (let c = 0; c < chunks; c++) {
      generateInto(data, descs, c * UNC_PAGES * GEN_WORDS);
      const t = cpuUs();
      const r = lzoNative.compress(natIn, natOut);
      total += cpuUs() - t;
      if (r.err !== 0) throw new Error(`liblzo compress failed: ${r.err}`);
      cmpBytes += r.len;
    }
    return total / chunks;
  };
  // A warm-up pass of each, then the measured ones.
  workerPass('ts');
  workerPass('wasm');
  nativePass();
  const ts = workerPass('ts');
  const tsBytes = cmpBytes;
  const wasm = workerPass('wasm');
  const wasmBytes = cmpBytes;
  const native = nativePass();
  const natBytes = cmpBytes;
  // The resume side, per chunk: decompress (TS; there is no WebAssembly
  // decompressor), crc32, matchGenerated against the descriptors (the loader's
  // check), digestGenerated of the same descriptors (the verify).
  const streams: Uint8Array[] = [];
  setLzoCompressBackend('wasm');
  for (let c = 0; c < chunks; c++) {
    generateInto(data, descs, c * UNC_PAGES * GEN_WORDS);
    const n = compressRecordInto('lzo', data, rec, 0);
    streams.push(rec.slice(CMP_HEADER, CMP_HEADER + n));
  }
  const back = new Uint8Array(UNC_SIZE);
  const match = new Uint8Array(UNC_PAGES);
  const scratch = new Uint8Array(4096);
  const dig = new Uint32Array(UNC_PAGES);
  const RESUME = ['decompress', 'crc32', 'match', 'digest (verify)'] as const;
  const resumePass = (backend: 'ts' | 'wasm') => {
    setLzoCompressBackend(backend === 'ts' ? 'js' : 'wasm');
    const us: Record<string, number> = { decompress: 0, crc32: 0, match: 0, 'digest (verify)': 0 };
    for (let c = 0; c < chunks; c++) {
      const d = descs.subarray(c * UNC_PAGES * GEN_WORDS, (c + 1) * UNC_PAGES * GEN_WORDS);
      let t = cpuUs();
      decompressChunk('lzo', streams[c]!, back, UNC_SIZE);
      let t2 = cpuUs();
      us.decompress! += t2 - t;
      t = t2;
      crcAcc = crc32Le(crcAcc, back);
      t2 = cpuUs();
      us.crc32! += t2 - t;
      t = t2;
      matchGenerated(back, d, 0, match, 0, scratch);
      t2 = cpuUs();
      us.match! += t2 - t;
      t = t2;
      digestGenerated(d, dig, scratch);
      us['digest (verify)']! += cpuUs() - t;
      if (match.some((m) => m !== 1)) throw new Error(`chunk ${c}: a page does not match its descriptor`);
    }
    for (const k of RESUME) us[k] = us[k]! / chunks;
    return us;
  };
  const natDecompress = () => {
    const out = Buffer.alloc(UNC_SIZE);
    let total = 0;
    for (const st of streams) {
      const b = Buffer.from(st.buffer, st.byteOffset, st.length);
      const t = cpuUs();
      lzoNative.decompress(b, out);
      total += cpuUs() - t;
    }
    return total / chunks;
  };
  resumePass('ts');
  resumePass('wasm');
  natDecompress();
  const rts = resumePass('ts');
  const rwasm = resumePass('wasm');
  const rnat = natDecompress();
  setLzoCompressBackend('wasm');
  if (tsBytes !== wasmBytes)
    throw new Error(`TS and WASM streams differ in size: ${tsBytes} vs ${wasmBytes}`);

  log(`worker split: ${chunks} chunks of ${UNC_SIZE} bytes (engine page mix), node ${process.version}`);
  log(`  CPU µs per chunk          ${'TS'.padStart(8)} ${'WASM'.padStart(8)}`);
  const mibs = (u: number) => (UNC_SIZE / MIB / (u / 1e6)).toFixed(0);
  for (const k of PHASES)
    log(
      `  ${k.padEnd(24)} ${ts[k]!.toFixed(1).padStart(8)} ${wasm[k]!.toFixed(1).padStart(8)}   (${mibs(ts[k]!)} → ${mibs(wasm[k]!)} MiB/s)`,
    );
  const sum = (r: Record<string, number>) => PHASES.reduce((a, k) => a + r[k]!, 0);
  log(`  ${'worker loop'.padEnd(24)} ${sum(ts).toFixed(1).padStart(8)} ${sum(wasm).toFixed(1).padStart(8)}`);
  log(`  native lzo1x_1 compress alone: ${native.toFixed(1)} µs/chunk (${mibs(native)} MiB/s)`);
  log(
    `  worker loop / native compress: TS ${(sum(ts) / native).toFixed(2)}×, WASM ${(sum(wasm) / native).toFixed(2)}×; ` +
      `compressed ${(wasmBytes / chunks).toFixed(0)} B/chunk (liblzo ${(natBytes / chunks).toFixed(0)}; crc ${crcAcc >>> 0})`,
  );
  log(`  resume side, CPU µs per chunk  ${'TS'.padStart(8)} ${'WASM'.padStart(8)}`);
  for (const k of RESUME)
    log(`  ${k.padEnd(30)} ${rts[k]!.toFixed(1).padStart(8)} ${rwasm[k]!.toFixed(1).padStart(8)}`);
  const rsum = (r: Record<string, number>) => RESUME.reduce((a, k) => a + r[k]!, 0);
  log(
    `  ${'resume worker loop'.padEnd(30)} ${rsum(rts).toFixed(1).padStart(8)} ${rsum(rwasm).toFixed(1).padStart(8)}`,
  );
  log(
    `  native lzo1x_decompress_safe alone: ${rnat.toFixed(1)} µs/chunk; resume loop / native: TS ${(rsum(rts) / rnat).toFixed(2)}×, WASM ${(rsum(rwasm) / rnat).toFixed(2)}×`,
  );
  return { chunks, us: { ts, wasm, native } };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mib = Number(process.argv[2] ?? 256);
  runWorkerSplit(Number.isFinite(mib) && mib > 0 ? mib : 256);
}
