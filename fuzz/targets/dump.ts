/**
 * The hiblab-dump v2 reader (src/power/dump-load.ts): bytes → loadDump → a
 * KernelMemory whose frames decode lazily, so each input is also read through
 * (every symbol, the vmemmap struct page of a few pfns). The header CRC covers
 * the body, so a mutated dump mostly stops at the checksum: half of the inputs
 * are resealed first (CRC-32 of bytes 32… at offset 24) to reach the META
 * JSON, the frame table, LZ4 frames and descriptor runs behind it.
 * A read of an address the dumped kernel does not map is a KernelMemoryFault —
 * a result, not a parse error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernelE820, parseE820Boot } from '../../src/firmware/index.js';
import { crc32 } from '../../src/lib/crc32.js';
import { bootMachine } from '../../src/machine/boot.js';
import { KernelMemoryFault } from '../../src/machine/kernel-memory.js';
import { makeDump } from '../../src/power/dump.js';
import { loadDump } from '../../src/power/dump-load.js';
import type { ReadSource } from '../../src/power/image/source.js';
import { getProfile } from '../../src/profiles/index.js';
import { ContentMap } from '../../src/workload/content-map.js';
import { REPO_ROOT } from '../../test/helpers/fixtures.js';
import { FUZZ_FILE, type FuzzTarget } from '../lib/types.js';

/** A dump of a freshly booted 384 MiB QEMU machine per profile (boot only: small and quick). */
export function seedDump(profileId: string): Uint8Array {
  const profile = getProfile(profileId);
  const text = readFileSync(join(REPO_ROOT, 'data', 'e820', 'qemu-pc-384m.txt'));
  const { parsed } = parseE820Boot(text, 'qemu-pc-384m.txt');
  const machine = bootMachine(buildKernelE820(parsed, profile, ''), { profile, kaslr: { seed: 7 } });
  const content = new ContentMap();
  machine.mem.setProvider(content);
  return makeDump({
    scenarioName: `fuzz-${profileId}`,
    verdict: 'resumed',
    reason: 'fuzz seed',
    machine,
    content,
    console: { suspend: machine.log, resume: [] },
  });
}

function resealed(input: Uint8Array): Uint8Array {
  if (input.length < 32) return input;
  const b = input.slice();
  new DataView(b.buffer).setUint32(24, crc32(b.subarray(32)) >>> 0, true);
  return b;
}

/** The input as a file-like source (`hiblab crash` on a regular file): preads into the reader's buffers. */
function asSource(bytes: Uint8Array): ReadSource {
  return {
    size: bytes.length,
    readAt: (o, n) => bytes.slice(o, Math.min(bytes.length, o + n)),
    readInto: (o, dst) => {
      const b = bytes.subarray(o, Math.min(bytes.length, o + dst.length));
      dst.set(b);
      return b.length;
    },
  };
}

function readThrough(bytes: Uint8Array, viaSource: boolean): number {
  const d = loadDump(viaSource ? asSource(bytes) : bytes, FUZZ_FILE);
  const km = d.kernelMemory;
  let sum = 0;
  const touch = (addr: bigint, len: number) => {
    try {
      sum += km.read(addr, len)[0] ?? 0;
    } catch (e) {
      if (!(e instanceof KernelMemoryFault)) throw e;
    }
  };
  for (const s of d.symbols.slice(0, 64)) touch(s.addr, Math.min(Math.max(s.size, 1), 4096));
  const vmemmap = d.symbols.find((s) => s.name === 'vmemmap_base');
  if (vmemmap) {
    try {
      const base = km.u64(vmemmap.addr);
      for (const pfn of [0n, 0x100n, 0x9fn, 0x1000n]) touch(base + pfn * 64n, 64);
    } catch (e) {
      if (!(e instanceof KernelMemoryFault)) throw e;
    }
  }
  return sum;
}

let flip = 0;
let turn = 0;

export const dump: FuzzTarget = {
  name: 'dump',
  description:
    'hiblab-dump v2 bytes (half resealed past the CRC; half through a pread source) → loadDump → reads of every symbol and some struct pages',
  seeds: () => [seedDump('linux-3.10'), seedDump('linux-6.12')],
  hotOffsets: () => [0, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 56, 64],
  maxBytes: 8 << 20,
  timeLimitMs: 5000,
  run(input) {
    flip ^= 1;
    // Every other pair of inputs goes through the pread path (the CLI's), the rest as bytes.
    turn = (turn + 1) & 3;
    return readThrough(flip ? resealed(input) : input, turn >= 2);
  },
};
