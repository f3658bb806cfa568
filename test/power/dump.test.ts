/**
 * hiblab-dump v2 (issue 9 item 2): a dump of the crashed resume kernel loads
 * back into a KernelMemory that reads what the seed-000 crash session read;
 * save → load → save is byte-identical; damaged, edited, future-version and
 * v1 dumps are refused with a FormatError naming the offset; no mutation of a
 * dump makes the loader fail any other way.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedDump } from '../../fuzz/targets/dump.js';
import { FormatError } from '../../src/errors.js';
import { crc32 } from '../../src/lib/crc32.js';
import { kernelMemoryOf } from '../../src/machine/kernel-memory-live.js';
import { crc32Combine, dumpParts, encodeDump, makeDump, writeDump } from '../../src/power/dump.js';
import { loadDump } from '../../src/power/dump-load.js';
import type { ReadSource } from '../../src/power/image/source.js';
import { fieldPath } from '../../src/profiles/struct-layout.js';
import type { RunResult } from '../../src/scenario/run.js';
import { runBuiltin } from '../engine/helpers.js';

function dumpInput(r: RunResult, which: 'suspend' | 'resume') {
  const b = which === 'resume' ? r.resume! : r.suspend;
  return {
    scenarioName: r.scenario.name,
    verdict: r.verdict,
    reason: r.reason,
    machine: b.machine!,
    content: b.content!,
    oops: which === 'resume' ? r.resume?.result.oops : r.suspend.oops,
    stats: which === 'resume' ? r.resume?.result.stats : undefined,
    console: { suspend: r.suspend.console, resume: r.resume?.console ?? [] },
  };
}

function dumpOf(r: RunResult, which: 'suspend' | 'resume'): Uint8Array {
  return makeDump(dumpInput(r, which));
}

/** A file-like source: counted preads, no whole-file view (readInto optional, as ReadSource allows). */
class CountingSource implements ReadSource {
  reads = 0;
  constructor(
    private readonly bytes: Uint8Array,
    withReadInto: boolean,
  ) {
    if (!withReadInto) this.readInto = undefined;
  }
  get size(): number {
    return this.bytes.length;
  }
  readAt(offset: number, length: number): Uint8Array {
    this.reads++;
    return this.bytes.slice(offset, Math.min(this.bytes.length, offset + length));
  }
  readInto?: (offset: number, dst: Uint8Array) => number = (offset, dst) => {
    this.reads++;
    const b = this.bytes.subarray(offset, Math.min(this.bytes.length, offset + dst.length));
    dst.set(b);
    return b.length;
  };
}

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError');
}

/** Recompute the header CRC after an edit of the body. */
function reseal(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(24, crc32(b.subarray(32)) >>> 0, true);
  return b;
}

describe('seed-000 dump (the crashed RHEL 7 resume kernel)', () => {
  let r: RunResult;
  let bytes: Uint8Array;
  beforeAll(async () => {
    r = await runBuiltin('seed-000');
    bytes = dumpOf(r, 'resume');
  }, 300_000);

  it('loads into a KernelMemory that reads the struct page of pfn 0xbe142 and nr_copy_pages', () => {
    const d = loadDump(bytes);
    expect(d.profile.id).toBe('linux-3.10');
    expect(d.verdict).toBe('oops');
    const k = d.kernelMemory;
    const page = k.u64(k.symbol('vmemmap_base')!.addr) + 0xbe142n * 64n;
    expect(page).toBe(0xffffe30302f85080n);
    expect(k.u64(page + BigInt(fieldPath(k.structs, 'page', 'flags')!.offset))).toBe(0x1fffff00000000n);
    expect(k.u32(page + BigInt(fieldPath(k.structs, 'page', '_count')!.offset))).toBe(1);
    expect(k.u32(k.symbol('nr_copy_pages')!.addr)).toBe(229023);
    // Everything the live view reads, the loaded one reads the same (page tables, kernel data, image).
    const live = kernelMemoryOf(r.resume!.machine);
    for (const a of [
      k.symbol('node_data')!.addr,
      k.symbol('nosave_regions')!.addr,
      page,
      k.symbol('orig_bm')!.addr,
    ]) {
      expect(k.read(a, 64)).toEqual(live.read(a, 64));
    }
    expect(k.translate(0xffff9263fe141000n)).toBe(0xbe141000);
    expect(k.translate(0xffff9263fe142000n)).toBeNull();
  });

  it('keeps the consoles, the oops registers and the task', () => {
    const d = loadDump(bytes);
    expect(d.console.resume.some((l) => l.includes('BUG: unable to handle kernel paging request'))).toBe(
      true,
    );
    expect(d.console.suspend.length).toBeGreaterThan(10);
    const o = d.oops as {
      regs: Record<string, bigint>;
      pid: number;
      comm: string;
      trace: string[];
      rip: bigint;
    };
    expect(o.regs.rdi).toBe(0xffff9263fe142000n);
    expect(o.rip).toBe(0xffffffff8b2fe476n);
    expect(o.pid).toBe(r.resume!.result.oops!.pid);
    expect(o.comm).toBe('dracut-pre-moun');
    expect(o.trace[0]).toBe('swsusp_read+0x1ee');
  });

  it('the hibernating kernel dumped the same way reads nr_copy_pages = 229023', () => {
    const k = loadDump(dumpOf(r, 'suspend')).kernelMemory;
    expect(k.u32(k.symbol('nr_copy_pages')!.addr)).toBe(229023);
    expect(k.u32(k.symbol('nr_meta_pages')!.addr)).toBe(448);
  });

  it('save → load → save is byte-identical', () => {
    const again = encodeDump(loadDump(bytes).parts);
    expect(again.length).toBe(bytes.length);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('is sparse: generated workload frames are descriptors, not bytes', () => {
    const d = loadDump(bytes);
    const described = d.parts.runs.reduce((a, x) => a + x[1]!, 0);
    expect(described).toBeGreaterThan(100_000);
    expect(bytes.length).toBeLessThan((described * 4096) / 10);
  });

  // Large dumps: streamed writing, lazy reading.
  it('writeDump() streams exactly the bytes encodeDump(dumpParts()) makes, pieces at increasing offsets', () => {
    for (const which of ['resume', 'suspend'] as const) {
      const ref = encodeDump(dumpParts(dumpInput(r, which)));
      const out = new Uint8Array(ref.length);
      const writes: [number, number][] = [];
      const n = writeDump(dumpInput(r, which), {
        writeAt: (b, pos) => {
          writes.push([pos, b.length]);
          out.set(b, pos);
        },
      });
      expect(n).toBe(ref.length);
      expect(Buffer.from(out).equals(Buffer.from(ref))).toBe(true);
      // META first, then FRMS and DESC in pieces of ≤ ~1 MiB + one record; the header and table last, at 0.
      expect(writes.at(-1)![0]).toBe(0);
      expect(Math.max(...writes.slice(1).map((w) => w[1]))).toBeLessThan(2 ** 20 + 8192);
      for (let i = 1; i < writes.length - 1; i++)
        expect(writes[i]![0]).toBe(writes[i - 1]![0] + writes[i - 1]![1]);
    }
  });

  it('crc32Combine() is zlib crc32_combine(): CRC-32(A‖B) from the parts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const ab = new Uint8Array(a.length + b.length);
        ab.set(a);
        ab.set(b, a.length);
        expect(crc32Combine(crc32(a), crc32(b), b.length) >>> 0).toBe(crc32(ab) >>> 0);
      }),
      { numRuns: 200, seed: 14 },
    );
  });

  it('loaded from a source (pread) it reads what the in-memory load reads, holding no frame bytes', () => {
    const mem = loadDump(bytes);
    for (const withReadInto of [true, false]) {
      const src = new CountingSource(bytes, withReadInto);
      const d = loadDump(src, 'seed-000.dump');
      expect(d.verdict).toBe(mem.verdict);
      const k = d.kernelMemory;
      const vmemmap = k.u64(k.symbol('vmemmap_base')!.addr);
      // Struct pages (kernel-data frames), page tables, bitmaps, symbols; pfns 64 apart share a cache slot.
      const addrs = [
        ...['node_data', 'nosave_regions', 'orig_bm', 'nr_copy_pages', 'init_uts_ns'].map(
          (n) => k.symbol(n)!.addr,
        ),
        vmemmap + 0xbe142n * 64n,
        vmemmap + (0xbe142n + 64n * 64n) * 64n,
        vmemmap + 0x1000n * 64n,
      ];
      for (let round = 0; round < 2; round++)
        for (const a of addrs) expect(k.read(a, 256)).toEqual(mem.kernelMemory.read(a, 256));
      expect(k.translate(0xffff9263fe141000n)).toBe(0xbe141000);
      const reads = src.reads;
      k.read(addrs[0]!, 64);
      expect(src.reads).toBe(reads); // a cached frame is not read again
      expect(Buffer.from(encodeDump(d.parts)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('a file cut short while it is read is DUMP_TRUNCATED at the offset where the bytes stop', () => {
    // A source whose size says the whole dump but whose reads stop at `end` (the file shrank).
    const cut = (end: number): ReadSource => ({
      size: bytes.length,
      readAt: (o, n) => bytes.slice(o, Math.max(o, Math.min(end, o + n))),
    });
    const e = formatError(() => loadDump(cut(bytes.length - 100), 'x.dump'));
    expect([e.code, e.location.offset]).toEqual(['DUMP_TRUNCATED', bytes.length - 100]);
    // Cut after loading: the first read of a frame past the cut says so.
    let end = bytes.length;
    const d = loadDump(
      { size: bytes.length, readAt: (o, n) => bytes.slice(o, Math.max(o, Math.min(end, o + n))) },
      'y.dump',
    );
    end = 0;
    const k = d.kernelMemory;
    const e2 = formatError(() => k.read(k.symbol('node_data')!.addr, 64));
    expect(e2.code).toBe('DUMP_TRUNCATED');
    expect(e2.oneLine()).toMatch(/^y\.dump at offset 0x[0-9a-f]+: the dump ends here/);
  });

  it('an index larger than the limit is refused before it is made (DUMP_TOO_LARGE, --max-mem)', () => {
    const e = formatError(() => loadDump(bytes, 'big.dump', { maxIndexBytes: 4096 }));
    expect(e.code).toBe('DUMP_TOO_LARGE');
    expect(e.oneLine()).toMatch(
      /^big\.dump at offset 0x[0-9a-f]+: dump holds \d+ frames: their index needs .* more than the 4\.00 KiB allowed \(--max-mem\) \[DUMP_TOO_LARGE\]$/,
    );
    const frames = loadDump(bytes).parts.frames.length;
    const e2 = formatError(() => loadDump(bytes, 'big.dump', { maxIndexBytes: frames * 21 + 10 }));
    expect(e2.message).toMatch(/\d+ frames and \d+ descriptor runs/);
  });
});

describe('damaged dumps', () => {
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = dumpOf(await runBuiltin('qemu-384m-to-512m'), 'resume');
  }, 300_000);

  it('truncated: the offset where the bytes end', () => {
    const e = formatError(() => loadDump(bytes.slice(0, bytes.length - 100), 'x.dump'));
    expect(e.code).toBe('DUMP_TRUNCATED');
    expect(e.location.offset).toBe(bytes.length - 100);
    expect(e.oneLine()).toMatch(/^x\.dump at offset 0x[0-9a-f]+: .*truncated/);
    expect(formatError(() => loadDump(bytes.slice(0, 20))).code).toBe('DUMP_TRUNCATED');
  });

  it('edited: the checksum does not match', () => {
    const b = bytes.slice();
    b[b.length - 5]! ^= 0x40;
    const e = formatError(() => loadDump(b));
    expect(e.code).toBe('DUMP_CHECKSUM');
    expect(e.location.offset).toBe(24);
  });

  it('a future version, a v1 JSON dump and a foreign file are refused with messages that say so', () => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(8, 3, true);
    const e = formatError(() => loadDump(b));
    expect([e.code, e.location.offset]).toEqual(['DUMP_VERSION', 8]);
    expect(e.message).toMatch(/version 3 is newer/);
    const v1 = new TextEncoder().encode('{"format":"hiblab-dump","version":1,"pages":[]}\n');
    expect(formatError(() => loadDump(v1)).message).toMatch(/v1 \(JSON\).*cannot be loaded/);
    expect(formatError(() => loadDump(new Uint8Array(64))).code).toBe('DUMP_MAGIC');
  });

  it('a count larger than the file (checksum fixed up) is refused before allocating', () => {
    const b = bytes.slice();
    const dv = new DataView(b.buffer);
    // FRMS is the second section: its table entry is at 32 + 24.
    const frms = Number(dv.getBigUint64(32 + 24 + 8, true));
    dv.setBigUint64(frms, 2n ** 40n, true);
    const e = formatError(() => loadDump(reseal(b)));
    expect(e.code).toBe('DUMP_FRAMES');
    expect(e.location.offset).toBe(frms);
  });

  it('property: any mutation, resealed or not, loads or fails with a FormatError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({
            kind: fc.constant('flip' as const),
            at: fc.nat(),
            bit: fc.nat(7),
            reseal: fc.boolean(),
          }),
          fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
          fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), v: fc.nat(), reseal: fc.boolean() }),
        ),
        (mu) => {
          let b = bytes.slice();
          const at = mu.at % b.length;
          if (mu.kind === 'cut') b = b.slice(0, at);
          else if (mu.kind === 'flip') b[at]! ^= 1 << mu.bit;
          else if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, mu.v >>> 0, true);
          if (mu.kind !== 'cut' && mu.reseal && b.length > 32) reseal(b);
          try {
            const d = loadDump(b);
            // A benign edit (e.g. inside raw frame data) still loads a usable view.
            expect(d.kernelMemory.symbols.length).toBeGreaterThan(0);
          } catch (e) {
            expect(e).toBeInstanceOf(FormatError);
          }
        },
      ),
      { numRuns: 300, seed: 9 },
    );
  });
});

describe('an edited META is a FormatError, never another exception (fuzz findings)', () => {
  // Re-encode a real (boot-only) dump with one META field replaced: the CRC is
  // right, so only the META checks stand between the edit and the loader.
  const base = loadDump(seedDump('linux-6.12'));
  const edited = (edit: (meta: Record<string, unknown>) => void): Uint8Array => {
    const meta = structuredClone(base.parts.meta) as Record<string, unknown>;
    edit(meta);
    return encodeDump({ ...base.parts, meta });
  };
  const symbols = (meta: Record<string, unknown>) => meta.symbols as Record<string, unknown>[];

  it('the unedited re-encoding loads', () => {
    expect(loadDump(edited(() => undefined)).symbols.length).toBe(base.symbols.length);
  });
  it.each([
    [
      'a $big that is not a number ("4xffffffff8b4da5b0")',
      (m: Record<string, unknown>) => {
        symbols(m)[0]!.addr = { $big: '4xffffffff8b4da5b0' };
      },
    ],
    [
      'a $big holding an object',
      (m: Record<string, unknown>) => {
        symbols(m)[0]!.addr = { $big: {} };
      },
    ],
    [
      'an address that is an object',
      (m: Record<string, unknown>) => {
        symbols(m)[1]!.addr = { x: 1 };
      },
    ],
    [
      'symbols that are not a list',
      (m: Record<string, unknown>) => {
        m.symbols = 7;
      },
    ],
    [
      'a console that is not a list of lines',
      (m: Record<string, unknown>) => {
        m.console = { suspend: [1, 2] };
      },
    ],
  ])('%s → DUMP_META', (_what, edit) => {
    const e = formatError(() => loadDump(edited(edit), 'x.dump'));
    expect(e.code).toBe('DUMP_META');
    expect(e.location.file).toBe('x.dump');
    expect(e.location.offset).toBeGreaterThan(0);
  });
});
