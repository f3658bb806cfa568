/**
 * The replay suite (issue 10): every resume boot of the kernel-images fixtures
 * replayed from its consoles (./replay.ts) and compared with what the real
 * kernel printed: outcome class, and where the inputs are the same boot, the
 * kernel's numbers. `HIBLAB_FIDELITY_TABLE=FILE` writes the table (docs/fidelity.md holds the last one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/node/image-file.js';
import { resumeImage } from '../../src/scenario/resume-image.js';
import { fixturePath, swapImagePath } from '../helpers/fixtures.js';
import { CASES, modelClass, numbersOf, pmSequence, read, realClass, runCase } from './replay.js';

/** Images shipped in the fixtures: these boots are also replayed from the real image itself. */
const SHIPPED = new Set(['612-lzo', 'tiny612-lz4', 'tiny612-lzo', 'tiny612-nocompress']);

interface Row {
  run: string;
  real: string;
  model: string;
  /** Outcome when the real image itself is resumed (hiblab resume), '' when none is shipped. */
  fromImage: string;
  numbers: string[];
}

const rows: Row[] = [];

function cmp(label: string, real: string | undefined, model: string | undefined): string {
  if (real === undefined || model === undefined) return '';
  return real === model ? `${label} ${real} =` : `${label} ${real} vs ${model}`;
}

describe('replay of the real QEMU boots', () => {
  for (const c of CASES) {
    it(`${c.image} / ${c.test}`, { timeout: 600_000 }, async () => {
      const r = await runCase(c);
      const real = realClass(c);
      const model = modelClass(r);
      const numbers: string[] = [];
      if (c.logged) {
        const rh = numbersOf(read(c.hibLog));
        const mh = numbersOf(r.suspend.console.join('\n'));
        numbers.push(cmp('hib Total pages', rh.totalPages, mh.totalPages));
        numbers.push(cmp('nosave', rh.nosave, mh.nosave));
        numbers.push(cmp('Need to copy', rh.needToCopy, mh.needToCopy));
        numbers.push(cmp('Image created', rh.imageCreated, mh.imageCreated));
        numbers.push(cmp('compressed kB', rh.compressedKb, mh.compressedKb));
        // The power-management lines, in the kernel's order (timings dropped).
        const HIB_FROM = /hibernation entry|Syncing filesystems/;
        expect(pmSequence(r.suspend.console.join('\n'), HIB_FROM)).toEqual(
          pmSequence(read(c.hibLog), HIB_FROM, /^(?:HIBLAB:|sh: )/),
        );
        if (c.resumeLog) {
          const RES_FROM = /Image signature found|resume from hibernation|Image not found/;
          const model = [...(r.resume?.console ?? []), ...r.restoredConsole].join('\n');
          expect(pmSequence(model, RES_FROM)).toEqual(pmSequence(read(c.resumeLog), RES_FROM, /^HIBLAB:/));
        }
        if (c.resumeLog) {
          const rr = numbersOf(read(c.resumeLog));
          const mr = numbersOf((r.resume?.console ?? []).join('\n'));
          numbers.push(cmp('resume Total pages', rr.totalPages, mr.totalPages));
          numbers.push(cmp('Read kB', rr.readKb, mr.readKb));
        }
      }
      let fromImage = '';
      if (SHIPPED.has(c.image) && c.logged && c.resumeLog) {
        const src = new FileSource(swapImagePath(c.image));
        try {
          const ri = await resumeImage(src, {
            e820: {
              text: readFileSync(fixturePath(`kernel-images/${c.resumeLog}`), 'utf8'),
              name: c.resumeLog,
            },
            via: /-hiblab-tiny/.test(read(c.resumeLog)) ? 'initcall' : 'sysfs',
          });
          const res = ri.result;
          const mm = ri.messages.map((l) => /Image mismatch: (.*)/.exec(l)?.[1]).find(Boolean);
          fromImage =
            res.outcome === 'resumed'
              ? 'resumed'
              : mm
                ? `refused: ${mm}`
                : res.errno
                  ? `error ${res.errno}`
                  : res.outcome;
          const rr = numbersOf(read(c.resumeLog));
          const mi = numbersOf(ri.console.join('\n'));
          numbers.push(cmp('image: stream pages', rr.loadingPages, mi.loadingPages));
          numbers.push(cmp('image: Read kB', rr.readKb, mi.readKb));
          // Same image, same boot: the kernel's numbers must agree exactly.
          if (rr.readKb) expect(mi.readKb).toBe(rr.readKb);
          expect(fromImage).toBe(real);
        } finally {
          src.close();
        }
      }
      rows.push({
        run: `${c.image} / ${c.test}${c.logged ? '' : ' (no log)'}`,
        real,
        model,
        fromImage,
        numbers: numbers.filter(Boolean),
      });
      // The outcome class: the kernel's own words (refused: which check, error -14, resumed).
      expect(model).toBe(real);
    });
  }
  it('table', () => {
    const lines = [
      '| run / resume test | real kernel | model (scenario from the consoles) | model (the real image) | numbers (real vs model; `=` equal) |',
      '|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.run} | ${r.real} | ${r.model}${r.model === r.real ? ' ✓' : ' ✗'} | ${r.fromImage ? `${r.fromImage}${r.fromImage === r.real ? ' ✓' : ' ✗'}` : '–'} | ${r.numbers.join('; ')} |`,
      ),
    ];
    const table = `${lines.join('\n')}\n`;
    console.log(table);
    const out = process.env.HIBLAB_FIDELITY_TABLE;
    if (out) writeFileSync(out, table);
    expect(rows.length).toBe(CASES.length);
  });
});
