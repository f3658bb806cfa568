/**
 * memblock's labelled allocations as columns (MemblockAllocations): every read form — index,
 * iteration, forEach, JSON, find, the bases of one label — gives what a plain array of the same pushes
 * gives, across the columns' growth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MemblockAllocation, MemblockAllocations } from '../../src/mm/memblock.js';

const LABELS = [
  'vmemmap block (struct pages)',
  'nosave_region',
  'NODE_DATA(0) pglist_data',
  'mem_section root 3',
];

describe('MemblockAllocations', () => {
  it('reads back what a plain array of the same allocations holds', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            label: fc.constantFrom(...LABELS),
            base: fc.integer({ min: 0, max: 2 ** 46 }).map((x) => x * 64),
            size: fc.integer({ min: 1, max: 2 ** 21 }),
          }),
          { maxLength: 300 },
        ),
        (list: MemblockAllocation[]) => {
          const a = new MemblockAllocations();
          for (const x of list) a.push(x);
          expect(a.length).toBe(list.length);
          expect([...a]).toEqual(list);
          expect(JSON.parse(JSON.stringify({ a }))).toEqual({ a: list });
          for (let i = 0; i < list.length; i++) expect(a.at(i)).toEqual(list[i]);
          const each: MemblockAllocation[] = [];
          a.forEach((label, base, size) => {
            each.push({ label, base, size });
          });
          expect(each).toEqual(list);
          for (const l of LABELS) {
            expect(a.basesOf(l)).toEqual(list.filter((x) => x.label === l).map((x) => x.base));
            expect(a.find((x) => x.label === l)).toEqual(list.find((x) => x.label === l));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
