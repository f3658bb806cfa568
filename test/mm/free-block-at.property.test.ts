/**
 * StructPages.freeBlockAt() (a chunk's free block found from its sorted node
 * list: PageChunk.headBlockOf) against the test it stands for, order by
 * order: the lowest order o whose aligned head is PageBuddy with private o,
 * and that head's node. Random takes, allocations and frees leave chunks of
 * every form (uniform, one max-order block, page by page with holes in the
 * node list); every pfn of a few chunks and random pfns are asked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { linux310, linux612 } from '../../src/profiles/index.js';

function machine(profile: string): Machine {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x3f00000n, type: E820_TYPE.RAM },
  ];
  return bootMachine(
    { firmware: t, kernel: t },
    { profile: profile === 'linux-3.10' ? linux310 : linux612, kaslr: { nokaslr: true } },
  );
}

/** freeBlockAt() by its definition: a peek() per order. */
function reference(m: Machine, pfn: number): [number, number] {
  const buddy = m.pages.buddyMapcount;
  for (let o = 0; o <= m.buddy.maxOrder; o++) {
    const head = pfn - (pfn % 2 ** o);
    const st = m.pages.peek(head);
    if (st.mapcount === buddy && st.private === o) return [o, m.pages.peek(head).node];
  }
  return [-1, -1];
}

const END = 0x4000;

describe('freeBlockAt() = the per-order test (fast-check)', () => {
  it('same order and node', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('linux-3.10', 'linux-6.12'),
        fc.array(fc.tuple(fc.nat(5), fc.integer({ min: 0x100, max: END - 1 }), fc.nat(10)), {
          maxLength: 300,
        }),
        fc.array(fc.integer({ min: 0x100, max: END - 1 }), { maxLength: 40 }),
        (profile, ops, asks) => {
          const m = machine(profile);
          const held: [number, number][] = [];
          for (const [kind, pfn, x] of ops) {
            if (kind <= 2) m.buddy.takePage(pfn);
            else if (kind === 3) {
              const p = m.buddy.alloc(x % 4);
              if (p >= 0) held.push([p, x % 4]);
            } else {
              const h = held.splice(x % Math.max(1, held.length), 1)[0];
              if (h) m.buddy.free(h[0], h[1]);
            }
          }
          const check = (pfn: number): void => {
            const o = m.pages.freeBlockAt(pfn);
            expect([o, o < 0 ? -1 : m.pages.foundNode]).toEqual(reference(m, pfn));
          };
          for (const p of asks) check(p);
          for (const p of asks.slice(0, 3)) {
            const c = p - (p % 1024);
            for (let q = c; q < c + 1024; q++) check(q);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
