/**
 * Every real e820 fixture boots on both kernel profiles, and basic invariants
 * hold against independent oracles (the kernel table itself).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ParseError } from '../../src/errors.js';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { buildKernelE820, parseE820 } from '../../src/firmware/index.js';
import { bootMachine } from '../../src/machine/boot.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import { fixturePath } from '../helpers/fixtures.js';

function fixtureFiles(): string[] {
  const out: string[] = [];
  for (const dir of ['e820', 'e820-pairs', 'e820-fragments']) {
    for (const f of readdirSync(fixturePath(dir))) if (f.endsWith('.txt')) out.push(join(dir, f));
  }
  const runs = fixturePath('kernel-images/runs');
  for (const r of readdirSync(runs)) {
    for (const f of readdirSync(join(runs, r)))
      if (/^console-.*\.log$/.test(f)) out.push(`kernel-images/runs/${r}/${f}`);
  }
  return out.sort();
}

const files = fixtureFiles();
/** Inputs the e820 parser rejects (its own tests cover why). */
const UNPARSEABLE = new Set(['e820/qemu-q35-ovmf-1g-journalctl-truncated-lines.txt']);

test('fixture list is complete', () => {
  expect(files.length).toBeGreaterThan(50);
});

describe.each([linux310, linux612])('fixtures boot on %s', (profile) => {
  test.each(files)('%s', (rel) => {
    const text = readFileSync(fixturePath(rel), 'utf8');
    if (UNPARSEABLE.has(rel)) {
      expect(() => parseE820(text, rel)).toThrow(ParseError);
      return;
    }
    const boots = parseE820(text, rel);
    expect(boots.length).toBeGreaterThan(0);
    const fw = buildKernelE820(boots[0]!, profile);
    if (rel.startsWith('e820-fragments/') && !fw.kernel.some((e) => e.type === E820_TYPE.RAM)) {
      // partial excerpts without RAM: the model refuses like a kernel that cannot boot
      expect(() => bootMachine(fw, { profile })).toThrow(/no usable RAM/);
      return;
    }
    const m = bootMachine(fw, { profile, kaslr: { seed: rel } });
    // oracle: max_pfn is the end of the highest RAM entry of the kernel table
    let maxPfn = 0;
    for (const e of fw.kernel)
      if (e.type === E820_TYPE.RAM) maxPfn = Math.max(maxPfn, Number((e.addr + e.size) / 4096n));
    expect(m.maxPfn).toBe(Math.min(maxPfn, 2 ** 34));
    // present pages = RAM-type pages inside the zones
    expect(m.zones.totalPresent).toBeGreaterThan(0);
    expect(m.buddy.totalFreePages).toBeLessThanOrEqual(m.zones.totalPresent);
    // [0, 1 MiB) is always mapped; every memblock RAM page is mapped (sampled)
    expect(m.isDirectMapped(0)).toBe(true);
    for (const r of m.memblock.memory.regions) {
      expect(m.isDirectMapped(r.base / 4096)).toBe(true);
      expect(m.isDirectMapped((r.base + r.size) / 4096 - 1)).toBe(true);
    }
    // the nosave list is sorted by start (3.10 may overlap at sub-page entries, like the kernel)
    for (let i = 1; i < m.nosave.regions.length; i++) {
      expect(m.nosave.regions[i]!.startPfn).toBeGreaterThanOrEqual(m.nosave.regions[i - 1]!.startPfn);
    }
    m.memblock.check();
  });
});
