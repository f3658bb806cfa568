/**
 * Fuzz of the expression parser and the session (fast-check): any input line
 * parses or fails with an InspectError, evaluation of whatever parses fails
 * only with InspectErrors, and every line finishes quickly (no hang, no stack
 * overflow on deep nesting).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InspectError } from '../../src/inspect/errors.js';
import { evaluate, parseIn } from '../../src/inspect/expr-eval.js';
import { parseExpression } from '../../src/inspect/expr-parse.js';
import { InspectSession } from '../../src/inspect/session.js';
import { seed000Fake } from './seed000-fake.js';

const TOKENS = [
  'orig_bm',
  'nr_copy_pages',
  'node_data',
  'nosave_regions',
  'forbidden_pages_map',
  'vmemmap_base',
  'page_offset_base',
  'cur',
  'block',
  'start_pfn',
  'bits',
  'next',
  'name',
  'node_zones',
  '(',
  ')',
  '[',
  ']',
  '.',
  '->',
  '*',
  '&',
  '+',
  '-',
  '/',
  '%',
  '<<',
  '>>',
  '?',
  ':',
  '!',
  '~',
  '==',
  '&&',
  '||',
  '|',
  '^',
  '(struct page *)',
  '(char *)',
  '(void *)',
  '(unsigned long)',
  '(int)',
  'sizeof',
  'struct',
  'bm_block',
  '0',
  '1',
  '8',
  '0x10',
  '0xffff9263fe142000',
  '4096',
  '0xffffffffffffffff',
  '778562',
  "'a'",
  '$',
  '$1',
  '16k',
  '2g',
];

const line = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join(' ')),
  fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((t) => t.join('')),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${'('.repeat(n)}1${')'.repeat(n)}`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${'-'.repeat(n)}1`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `orig_bm${'.cur'.repeat(n)}`),
);

const onlyInspectErrors = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof InspectError)) throw e;
  }
};

describe('expression parser fuzz', () => {
  const { km } = seed000Fake();
  it('parses or fails with an InspectError; evaluation too; fast', () => {
    fc.assert(
      fc.property(line, (text) => {
        const t0 = performance.now();
        onlyInspectErrors(() => parseExpression(text));
        onlyInspectErrors(() => evaluate({ km }, parseIn(km, text)));
        expect(performance.now() - t0).toBeLessThan(500);
      }),
      { numRuns: 1500, seed: 12 },
    );
  });

  it('a session never throws on any command line', () => {
    const session = new InspectSession(seed000Fake().target);
    const cmd = fc.oneof(
      line.map((l) => `p ${l}`),
      line.map((l) => `eval ${l}`),
      line.map((l) => `x/4xb ${l}`),
      fc
        .constantFrom(
          'rd',
          'struct',
          'list',
          'sym',
          'vtop',
          'ptov',
          'kmem -p',
          'bt',
          'dmesg',
          'help',
          'union',
        )
        .chain((c) => line.map((l) => `${c} ${l}`)),
      line,
    );
    fc.assert(
      fc.property(
        cmd,
        fc.constantFrom('', ' | grep a', ' | head -2', ' | tail', ' | wc -l', ' | grep -E (', ' | nope'),
        (c, pipe) => {
          const t0 = performance.now();
          const r = session.execute(c + pipe);
          expect(Array.isArray(r.lines)).toBe(true);
          // `kmem -p` prints all 32768 pages of the fake's section
          expect(performance.now() - t0).toBeLessThan(10000);
        },
      ),
      { numRuns: 1500, seed: 34 },
    );
  });
});
