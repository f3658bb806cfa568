/**
 * Plan mode's compressed-size table (src/power/plan/estimate.ts) against
 * the codecs it was measured with: every generated kind, both codecs, over
 * writer-sized chunks (32 pages) of pages with other seeds and pfns than the
 * measurement used.
 */
import { describe, expect, it } from 'vitest';
import { getChunkCodec, UNC_PAGES } from '../../src/power/compress/compressor.js';
import { estimatedKinds, estimatedPageBytes } from '../../src/power/plan/estimate.js';
import { contentKindName, generatePage } from '../../src/workload/content.js';

const CHUNKS = 6;

describe('plan mode size estimate per content kind', () => {
  for (const codec of ['lzo', 'lz4'] as const) {
    it(`${codec}: each kind's bytes per page within 4% (+8 bytes) of the codec's output`, () => {
      const c = getChunkCodec(codec);
      const buf = new Uint8Array(UNC_PAGES * 4096);
      const dst = new Uint8Array(c.worstCompress(buf.length));
      const off: string[] = [];
      for (const kind of estimatedKinds()) {
        let total = 0;
        for (let ch = 0; ch < CHUNKS; ch++) {
          for (let i = 0; i < UNC_PAGES; i++)
            generatePage(
              kind,
              0x7777 + ch * 13,
              0x50000 + ch * 4099 + i * 5,
              0,
              buf.subarray(i * 4096, (i + 1) * 4096),
            );
          total += c.compress(buf, dst);
        }
        const real = total / (CHUNKS * UNC_PAGES);
        const est = estimatedPageBytes(codec, kind);
        if (Math.abs(est - real) > real * 0.04 + 8)
          off.push(`${contentKindName(kind)}: table ${est}, measured ${real.toFixed(0)}`);
      }
      expect(off).toEqual([]);
    }, 120_000);
  }
});
