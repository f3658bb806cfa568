/**
 * The pool's per-page work in WebAssembly (src/power/compress/wasm-pages.ts,
 * assembly/content.ts) against the TypeScript references it replaces
 * (generatePage / pageDigest of workload/content.ts, the oracles): the same
 * bytes for every kind, calibrated level, seed and pfn; the same digests; a
 * prepared chunk equal to generateInto()'s; matchGenerated / digestGenerated
 * equal with and without WebAssembly.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { setLzoCompressBackend } from '../../../src/lib/lzo1x-wasm.js';
import {
  digestGenerated,
  digestInto,
  GEN_WORDS,
  generateInto,
  matchGenerated,
} from '../../../src/power/compress/pool.js';
import {
  digestGeneratedWasm,
  digestPagesInto,
  expectedPageWasm,
  pagesWasm,
  prepareChunk,
} from '../../../src/power/compress/wasm-pages.js';
import { CALIBRATED_LEVELS, ContentKind, generatePage, pageDigest } from '../../../src/workload/content.js';
import { ALL_KINDS, pageMix, same } from '../../compress/data.js';

const KINDS = [ContentKind.NONE, ...ALL_KINDS];

const wasmOrThrow = () => {
  const w = pagesWasm();
  if (!w) throw new Error('no WebAssembly');
  return w;
};

function jsPage(kind: number, seed: number, pfn: number): Uint8Array {
  const p = new Uint8Array(4096);
  generatePage(kind, seed, pfn, 0, p);
  return p;
}

describe('generated pages and digests in WebAssembly', () => {
  afterEach(() => setLzoCompressBackend('wasm'));

  it('property: every kind and level, any seed and 32-bit pfn → the TS generator’s bytes', () => {
    const w = wasmOrThrow();
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        (k, s, pfn) => {
          const got = new Uint8Array(expectedPageWasm(w, k, s, pfn).buffer, w.page, 4096).slice();
          expect(same(got, jsPage(k, s, pfn))).toBe(true);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('every calibrated level at a few fixed descriptors', () => {
    const w = wasmOrThrow();
    for (let l = 0; l <= CALIBRATED_LEVELS; l++)
      for (const [s, pfn] of [
        [0, 0],
        [42, 0x100000],
        [0xffffffff, 0xfffff],
      ] as const) {
        const got = new Uint8Array(
          expectedPageWasm(w, ContentKind.CALIBRATED + l, s, pfn).buffer,
          w.page,
          4096,
        );
        expect(same(got.slice(), jsPage(ContentKind.CALIBRATED + l, s, pfn))).toBe(true);
      }
  });

  it('an unknown kind throws as the TS generator does', () => {
    const w = wasmOrThrow();
    expect(() => expectedPageWasm(w, ContentKind.KDATA, 1, 2)).toThrow(RangeError);
    expect(() => expectedPageWasm(w, 200, 1, 2)).toThrow(RangeError);
  });

  it('property: pageDigest of random and page-mix pages', () => {
    const w = wasmOrThrow();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096 * 3, maxLength: 4096 * 3 }), fc.nat(), (rand, seed) => {
        for (const data of [rand, pageMix(3, seed)]) {
          const view = prepareChunk(w, data, undefined, 0);
          const a = new Uint32Array(3);
          digestPagesInto(view, a, 0);
          for (let p = 0; p < 3; p++) expect(a[p]).toBe(pageDigest(data.subarray(p * 4096, (p + 1) * 4096)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('property: a prepared chunk equals generateInto() on the job bytes; crc/digests read it in place', () => {
    const w = wasmOrThrow();
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(0, ...KINDS.filter((k) => k !== 0)),
            fc.nat(),
            fc.nat({ max: 0xffffffff }),
          ),
          {
            minLength: 1,
            maxLength: 32,
          },
        ),
        fc.nat({ max: 4095 }),
        fc.nat(),
        (descs, tail, seed) => {
          const pages = descs.length;
          const gen = new Uint32Array(3 + pages * GEN_WORDS);
          descs.forEach(([k, s, pfn], p) => {
            gen.set([k, s, pfn], 3 + p * GEN_WORDS);
          });
          const data = pageMix(pages + 1, seed).subarray(0, pages * 4096 + tail);
          const ref = data.slice();
          generateInto(ref, gen, 3);
          const view = prepareChunk(w, data, gen, 3);
          expect(w.addressOf(view)).toBe(w.src);
          expect(same(view.slice(), ref)).toBe(true);
          const d1 = new Uint32Array(pages);
          const d2 = new Uint32Array(pages);
          digestInto(view, d1, 0);
          for (let p = 0; p < pages; p++) d2[p] = pageDigest(ref.subarray(p * 4096, (p + 1) * 4096));
          expect([...d1]).toEqual([...d2]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('digestGenerated and matchGenerated give the same answers with and without WebAssembly', () => {
    const w = wasmOrThrow();
    const n = 96;
    const descs = new Uint32Array(n * GEN_WORDS);
    for (let i = 0; i < n; i++)
      descs.set([KINDS[1 + (i % (KINDS.length - 1))]!, i * 977, 0x200000 + i], i * 3);
    const viaWasm = new Uint32Array(n);
    digestGeneratedWasm(w, descs, viaWasm);
    expect([...digestGenerated(descs)]).toEqual([...viaWasm]);
    // A chunk holding the described pages with every fifth one corrupted, at an odd offset too.
    const chunk = new Uint8Array(32 * 4096 + 1);
    for (let p = 0; p < 32; p++) {
      chunk.set(jsPage(descs[p * 3]!, descs[p * 3 + 1]!, descs[p * 3 + 2]!), 1 + p * 4096);
      if (p % 5 === 0) chunk[1 + p * 4096 + ((p * 131) % 4096)]! ^= 0x40;
    }
    const runs = () =>
      [chunk.subarray(0, 32 * 4096), chunk.subarray(1)].map((data) => {
        const out = new Uint8Array(32);
        matchGenerated(data, descs, 0, out, 0, new Uint8Array(4096));
        return [...out];
      });
    const a = runs();
    setLzoCompressBackend('js');
    expect(pagesWasm()).toBeNull();
    const b = runs();
    expect(a).toEqual(b);
    expect([...digestGenerated(descs)]).toEqual([...viaWasm]);
    expect(b[1]!.filter((x) => x === 0).length).toBe(7); // pages 0, 5, …, 30
  });
});
