/** Deterministic small page sets for writer/reader tests (independent of the code under test). */
import { Prng } from '../../src/util/prng.js';

export interface GenPages {
  pfns: number[];
  zero: Uint8Array;
  data: (Uint8Array | null)[];
}

/** A page of one of several kinds: text-like, pointer-like, random, sparse. */
export function makePage(prng: Prng, kind: number): Uint8Array {
  const p = new Uint8Array(4096);
  const dv = new DataView(p.buffer);
  switch (kind % 4) {
    case 0: {
      const words = ['swsusp ', 'hibernate ', 'page ', 'kernel ', 'pfn ', 'map\n'];
      let o = 0;
      while (o < 4096) {
        const w = words[prng.below(words.length)]!;
        for (let k = 0; k < w.length && o < 4096; k++) p[o++] = w.charCodeAt(k);
      }
      break;
    }
    case 1:
      for (let o = 0; o < 4096; o += 8) {
        dv.setUint32(o, (prng.below(1 << 20) << 3) >>> 0, true);
        dv.setUint32(o + 4, 0xffff8880, true);
      }
      break;
    case 2:
      for (let o = 0; o < 4096; o += 4) dv.setUint32(o, prng.nextU32(), true);
      break;
    default:
      for (let k = 0; k < 20; k++) p[prng.below(4096)] = prng.nextU32() & 0xff;
      if (p.every((b) => b === 0)) p[0] = 1;
  }
  return p;
}

/** n pages at ascending random pfns; with zeroMode, about a fifth are zero pages. */
export function genPages(seed: number, n: number, zeroMode: boolean): GenPages {
  const prng = new Prng(seed);
  const pfns: number[] = [];
  let pfn = prng.below(64);
  for (let i = 0; i < n; i++) {
    pfns.push(pfn);
    pfn += 1 + (prng.below(8) === 0 ? prng.below(5000) : 0);
  }
  const zero = new Uint8Array(n);
  const data: (Uint8Array | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (zeroMode && prng.below(5) === 0) {
      zero[i] = 1;
      data.push(null);
    } else data.push(makePage(prng, prng.below(4)));
  }
  return { pfns, zero, data };
}
