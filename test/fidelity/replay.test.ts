/**
 * The replay suite (issue 10): every resume boot of the kernel-images fixtures
 * replayed from its consoles (./replay.ts) and compared with what the real
 * kernel printed: outcome class, and where the inputs are the same boot, the
 * kernel's numbers. `HIBLAB_FIDELITY_TABLE=docs/fidelity.md` writes the table.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CASES, modelClass, numbersOf, read, realClass, runCase } from './replay.js';

interface Row {
  run: string;
  real: string;
  model: string;
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
        if (c.resumeLog) {
          const rr = numbersOf(read(c.resumeLog));
          const mr = numbersOf((r.resume?.console ?? []).join('\n'));
          numbers.push(cmp('resume Total pages', rr.totalPages, mr.totalPages));
          numbers.push(cmp('Read kB', rr.readKb, mr.readKb));
        }
      }
      rows.push({
        run: `${c.image} / ${c.test}${c.logged ? '' : ' (no log)'}`,
        real,
        model,
        numbers: numbers.filter(Boolean),
      });
      // The outcome class: the kernel's own words (refused: which check, error -14, resumed).
      expect(model).toBe(real);
    });
  }
  it('table', () => {
    const lines = [
      '| run / resume test | real kernel | model | numbers (real vs model; `=` equal) |',
      '|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.run} | ${r.real} | ${r.model}${r.model === r.real ? ' ✓' : ' ✗'} | ${r.numbers.join('; ')} |`,
      ),
    ];
    const table = `${lines.join('\n')}\n`;
    console.log(table);
    const out = process.env.HIBLAB_FIDELITY_TABLE;
    if (out) writeFileSync(out, table);
    expect(rows.length).toBe(CASES.length);
  });
});
