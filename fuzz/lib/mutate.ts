/**
 * Mutations of seed inputs, as fast-check arbitraries (so a failure shrinks to
 * a short list of edits on one seed). Byte-level edits (flip, set, insert,
 * delete, truncate, splice two seeds) and structure-level ones: text lines
 * duplicated / dropped / swapped hundreds of times, numbers replaced by
 * boundary values (0, 2^32, 2^64 - 1, 2^64, 40 digits), dictionary tokens,
 * control characters, and little-endian u32/u64 boundary values written at the
 * target's hot offsets (header fields, map entries, chunk lengths).
 */
import fc from 'fast-check';
import type { FuzzTarget } from './types.js';

const enc = new TextEncoder();

/** Tokens useful in every format. */
export const GENERIC_TOKENS: readonly string[] = [
  '0',
  '-1',
  '0x0',
  '0xffffffff',
  '0x100000000',
  '0xfffffffffffff000',
  '0xffffffffffffffff',
  '0x10000000000000000',
  '18446744073709551615',
  '18446744073709551616',
  '9007199254740993',
  '1e309',
  '99999999999999999999999999999999999999',
  '16E',
  '8E',
  '4P',
  '\u001b[31m',
  '\r',
  '\u0007',
  '\u202e',
  '\u0000',
  '\uFEFF',
  '\n',
  ' ',
  '"',
  "'",
  '[',
  ']',
  '{',
  '}',
  ':',
  ',',
  '-',
];

/** u64 values that break arithmetic: 0, 1, 2^31, 2^32, 2^52, 2^53, 2^63, 2^64 - 1 and neighbours. */
const U64S: readonly bigint[] = [
  0n,
  1n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  (1n << 40n) - 1n,
  1n << 40n,
  1n << 52n,
  (1n << 53n) + 1n,
  1n << 63n,
  (1n << 64n) - 1n,
  (1n << 64n) - 4096n,
];

const NUMBER_TEXT = /0x[0-9a-fA-F]+|[0-9]+/g;

export type Op =
  | { k: 'flip'; pos: number; bit: number }
  | { k: 'set'; pos: number; byte: number }
  | { k: 'insert'; pos: number; bytes: Uint8Array }
  | { k: 'delete'; pos: number; len: number }
  | { k: 'truncate'; frac: number }
  | { k: 'dup'; pos: number; len: number; times: number }
  | { k: 'token'; pos: number; token: number }
  | { k: 'number'; nth: number; token: number }
  | { k: 'line'; nth: number; other: number; how: 'drop' | 'dup' | 'swap' | 'repeat' }
  | { k: 'splice'; seed: number; pos: number; len: number }
  | { k: 'hot'; nth: number; value: number; width: 1 | 2 | 4 | 8 };

const opArb = (nSeeds: number, nTokens: number): fc.Arbitrary<Op> => {
  const pos = fc.nat({ max: 0x3fffffff });
  return fc.oneof(
    fc.record({ k: fc.constant('flip' as const), pos, bit: fc.nat({ max: 7 }) }),
    fc.record({
      k: fc.constant('set' as const),
      pos,
      byte: fc.oneof(
        fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x1b, 0x0a, 0x0d, 0x20, 0x22, 0x2d),
        fc.nat({ max: 255 }),
      ),
    }),
    fc.record({ k: fc.constant('insert' as const), pos, bytes: fc.uint8Array({ maxLength: 24 }) }),
    fc.record({ k: fc.constant('delete' as const), pos, len: fc.nat({ max: 4096 }) }),
    fc.record({ k: fc.constant('truncate' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ k: fc.constant('dup' as const), pos, len: fc.nat({ max: 256 }), times: fc.nat({ max: 64 }) }),
    fc.record({ k: fc.constant('token' as const), pos, token: fc.nat({ max: nTokens - 1 }) }),
    fc.record({
      k: fc.constant('number' as const),
      nth: fc.nat({ max: 4096 }),
      token: fc.nat({ max: nTokens - 1 }),
    }),
    fc.record({
      k: fc.constant('line' as const),
      nth: fc.nat({ max: 4096 }),
      other: fc.nat({ max: 4096 }),
      how: fc.constantFrom('drop' as const, 'dup' as const, 'swap' as const, 'repeat' as const),
    }),
    fc.record({
      k: fc.constant('splice' as const),
      seed: fc.nat({ max: nSeeds - 1 }),
      pos,
      len: fc.nat({ max: 8192 }),
    }),
    fc.record({
      k: fc.constant('hot' as const),
      nth: fc.nat({ max: 1 << 20 }),
      value: fc.nat({ max: U64S.length + 255 }),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
    }),
  );
};

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte ranges of the lines of `b` (without the '\n'). */
function lineRanges(b: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let s = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x0a) {
      out.push([s, i]);
      s = i + 1;
    }
  }
  return out;
}

/** Apply one edit. `hot` are the seed's structural offsets; `seeds` for splices. */
export function applyOp(
  b: Uint8Array,
  op: Op,
  ctx: {
    seeds: readonly Uint8Array[];
    tokens: readonly Uint8Array[];
    hot: readonly number[];
    maxBytes: number;
  },
): Uint8Array {
  const at = (p: number) => (b.length === 0 ? 0 : p % (b.length + 1));
  switch (op.k) {
    case 'flip': {
      if (b.length === 0) return b;
      const c = b.slice();
      c[op.pos % b.length]! ^= 1 << op.bit;
      return c;
    }
    case 'set': {
      if (b.length === 0) return Uint8Array.of(op.byte);
      const c = b.slice();
      c[op.pos % b.length] = op.byte;
      return c;
    }
    case 'insert': {
      const p = at(op.pos);
      return concat(b.subarray(0, p), op.bytes, b.subarray(p));
    }
    case 'delete': {
      const p = at(op.pos);
      return concat(b.subarray(0, p), b.subarray(Math.min(b.length, p + op.len)));
    }
    case 'truncate':
      return b.subarray(0, Math.floor(b.length * op.frac));
    case 'dup': {
      const p = at(op.pos);
      const piece = b.subarray(p, Math.min(b.length, p + op.len));
      if (piece.length * op.times > ctx.maxBytes) return b;
      return concat(
        b.subarray(0, p),
        ...new Array<Uint8Array>(op.times + 1).fill(piece),
        b.subarray(p + piece.length),
      );
    }
    case 'token': {
      const p = at(op.pos);
      return concat(b.subarray(0, p), ctx.tokens[op.token]!, b.subarray(p));
    }
    case 'number': {
      // Structure-aware: replace the n-th number written in the text.
      const text = new TextDecoder('latin1').decode(b);
      const all = [...text.matchAll(NUMBER_TEXT)];
      if (all.length === 0) return b;
      const m = all[op.nth % all.length]!;
      return concat(b.subarray(0, m.index), ctx.tokens[op.token]!, b.subarray(m.index! + m[0].length));
    }
    case 'line': {
      const lines = lineRanges(b);
      const i = op.nth % lines.length;
      const j = op.other % lines.length;
      const pieces = lines.map(([s, e]) => b.subarray(s, e));
      const nl = Uint8Array.of(0x0a);
      if (op.how === 'drop') pieces.splice(i, 1);
      else if (op.how === 'dup') pieces.splice(i, 0, pieces[i]!);
      else if (op.how === 'swap') [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
      else {
        // the same line many times: tables of thousands of entries
        const times = Math.min(1 + (op.other % 2000), Math.floor(ctx.maxBytes / (pieces[i]!.length + 1)));
        pieces.splice(i, 0, ...new Array<Uint8Array>(times).fill(pieces[i]!));
      }
      const out: Uint8Array[] = [];
      pieces.forEach((p, k) => {
        if (k > 0) out.push(nl);
        out.push(p);
      });
      return concat(...out);
    }
    case 'splice': {
      const other = ctx.seeds[op.seed % ctx.seeds.length]!;
      const p = at(op.pos);
      const q = other.length === 0 ? 0 : op.pos % other.length;
      return concat(b.subarray(0, p), other.subarray(q, q + op.len));
    }
    case 'hot': {
      if (b.length === 0) return b;
      const pos = ctx.hot.length > 0 ? ctx.hot[op.nth % ctx.hot.length]! : (op.nth * 8) % b.length;
      if (pos + op.width > b.length) return b;
      const v = op.value < U64S.length ? U64S[op.value]! : BigInt(op.value - U64S.length);
      const c = b.slice();
      for (let k = 0; k < op.width; k++) c[pos + k] = Number((v >> BigInt(8 * k)) & 0xffn);
      return c;
    }
  }
}

/** Inputs for a target: a seed (sometimes untouched) with 0–8 edits. */
export function inputArbitrary(t: FuzzTarget, seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error(`fuzz target ${t.name} has no seeds`);
  const tokens = [...GENERIC_TOKENS, ...(t.dictionary ?? [])].map((s) => enc.encode(s));
  const maxBytes = t.maxBytes ?? 1 << 20;
  const hotOf = seeds.map((_, i) => t.hotOffsets?.(i) ?? []);
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      ops: fc.array(opArb(seeds.length, tokens.length), { maxLength: 8 }),
    })
    .map(({ seed, ops }) => {
      let b = seeds[seed]!;
      const ctx = { seeds, tokens, hot: hotOf[seed]!, maxBytes };
      for (const op of ops) {
        b = applyOp(b, op, ctx);
        if (b.length > maxBytes) b = b.subarray(0, maxBytes);
      }
      return b;
    });
}
