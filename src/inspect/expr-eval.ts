/**
 * Evaluates parsed expressions against kernel memory the way gdb does inside
 * crash: C integer types with promotions and truncation (gdb types `4096` as
 * int, so `0xbe142*4096` wraps to a negative int — seed 000's
 * `p (void *)page_offset_base+(0xbe142*4096)` = 0xffff9262fe142000 shows it),
 * pointer arithmetic in units of the pointee (void * steps bytes), `.` and
 * `->` on structs and pointers alike, arrays decaying to pointers.
 *
 * Values are lvalues (an address and a type; read on demand through
 * KernelMemory and the struct table) or rvalues (an integer of a type).
 */
import type { KernelMemory } from '../machine/kernel-memory.js';
import type { StructField, StructLayout } from '../profiles/struct-layout.js';
import { type CType, parseType, sizeOf, T_INT, T_LONG, T_ULONG, typeName } from './ctype.js';
import { cannotAccess, InspectError } from './errors.js';
import { type Expr, parseExpression } from './expr-parse.js';
import { leUint, readBytes, u64 } from './mem.js';

export interface Value {
  readonly type: CType;
  /** Where the value lives (an lvalue); absent for computed values. */
  readonly addr?: bigint;
  /** Computed scalar (ints and pointers), already wrapped to the type. */
  readonly v?: bigint;
  /** Bit-field position inside the `type.size` bytes at addr. */
  readonly bits?: { readonly shift: number; readonly width: number };
}

export interface EvalContext {
  readonly km: KernelMemory;
  /** `$N` values, history[0] is $1. */
  readonly history?: readonly Value[];
}

const gdbError = (code: string, msg: string): InspectError => new InspectError(code, msg, true);

/** Type of a symbol from its C spelling; functions ('t') are code. */
export function symbolType(km: KernelMemory, name: string): { addr: bigint; type: CType } | undefined {
  const s = km.symbol(name);
  if (!s) return undefined;
  if (s.section === 't') {
    // A System.map text symbol has no prototype: gdb's "<text variable, no debug info>".
    const text =
      !s.type || s.type === 'function' || s.type === 'char' ? '<text variable, no debug info>' : s.type;
    return { addr: s.addr, type: { kind: 'func', text } };
  }
  return { addr: s.addr, type: parseType(s.type, km.structs, s.size) };
}

/** Is `name` a type name the parser should accept in a cast (u64, nodemask_t, …)? */
export function isTypedefName(km: KernelMemory, name: string): boolean {
  if (km.symbol(name)) return false;
  try {
    return parseType(name, km.structs).kind !== 'void' || name === 'void';
  } catch {
    return false;
  }
}

export function parseIn(km: KernelMemory, text: string): Expr {
  return parseExpression(text, (n) => isTypedefName(km, n));
}

/** Member lookup, descending into anonymous struct/union members as C does. */
export function findMember(
  km: KernelMemory,
  layout: StructLayout,
  name: string,
): { offset: number; field: StructField; type: CType } | undefined {
  for (const f of layout.fields) {
    if (f.name === name) return { offset: f.offset, field: f, type: fieldType(km, f) };
  }
  for (const f of layout.fields) {
    if (f.name !== '' && !f.name.startsWith('<')) continue;
    const t = fieldType(km, f);
    if (t.kind !== 'struct') continue;
    const inner = findMember(km, t.layout, name);
    if (inner) return { ...inner, offset: f.offset + inner.offset };
  }
  return undefined;
}

export function fieldType(km: KernelMemory, f: StructField): CType {
  const t = parseType(f.type, km.structs, f.size);
  if (f.count !== undefined && t.kind !== 'array') return { kind: 'array', of: t, count: f.count };
  return t;
}

/** Read an integer/pointer value (lvalue or computed). */
export function scalarOf(km: KernelMemory, val: Value): bigint {
  if (val.v !== undefined) return val.v;
  const t = val.type;
  if (val.addr === undefined) throw gdbError('BAD_VALUE', 'value has no contents');
  if (t.kind === 'array') return val.addr;
  if (t.kind === 'func') return val.addr;
  if (t.kind !== 'int' && t.kind !== 'ptr')
    throw gdbError('NOT_SCALAR', 'Argument to arithmetic operation not a number or boolean.');
  const size = t.kind === 'ptr' ? 8 : t.size;
  let raw = leUint(readBytes(km, val.addr, size));
  if (val.bits) raw = (raw >> BigInt(val.bits.shift)) & ((1n << BigInt(val.bits.width)) - 1n);
  if (t.kind === 'int' && t.signed) return BigInt.asIntN(val.bits ? val.bits.width : size * 8, raw);
  return raw;
}

/** Wrap an integer to a type (C conversion). */
export function wrap(v: bigint, t: CType): bigint {
  if (t.kind === 'ptr') return u64(v);
  if (t.kind === 'int') {
    if (t.bool) return v === 0n ? 0n : 1n;
    return t.signed ? BigInt.asIntN(t.size * 8, v) : BigInt.asUintN(t.size * 8, v);
  }
  return v;
}

const rv = (type: CType, v: bigint): Value => ({ type, v: wrap(v, type) });

/** Arrays decay to pointers, functions to function pointers. */
function decay(val: Value): Value {
  if (val.type.kind === 'array') {
    if (val.addr === undefined)
      throw gdbError('BAD_VALUE', 'Attempt to take address of value not located in memory.');
    return { type: { kind: 'ptr', to: val.type.of }, v: val.addr };
  }
  if (val.type.kind === 'func' && val.addr !== undefined)
    return { type: { kind: 'ptr', to: val.type }, v: val.addr };
  return val;
}

/** C integer promotion: types narrower than int become int. */
function promote(t: CType): CType {
  if (t.kind === 'int' && t.size < 4) return T_INT;
  return t;
}

const T_UINT: CType = { kind: 'int', name: 'unsigned int', size: 4, signed: false };

/** Usual arithmetic conversions for two integer operands. */
function common(a: CType, b: CType): CType {
  const pa = promote(a) as Extract<CType, { kind: 'int' }>;
  const pb = promote(b) as Extract<CType, { kind: 'int' }>;
  if (pa.size === pb.size) {
    if (pa.signed === pb.signed)
      return pa.size === 8 ? (pa.signed ? T_LONG : T_ULONG) : pa.signed ? T_INT : T_UINT;
    return pa.size === 8 ? T_ULONG : T_UINT;
  }
  const big = pa.size > pb.size ? pa : pb;
  // The wider (8-byte) type can represent every 4-byte value: it wins with its own signedness.
  return big.signed ? T_LONG : T_ULONG;
}

/** Type of an integer literal as gdb's parser gives it. */
function literalType(v: bigint, unsigned: boolean, long = false): CType {
  if (long) return unsigned || v > 0x7fffffffffffffffn ? T_ULONG : T_LONG;
  if (unsigned) return v <= 0xffffffffn ? T_UINT : T_ULONG;
  if (v <= 0x7fffffffn) return T_INT;
  if (v <= 0xffffffffn) return T_UINT;
  if (v <= 0x7fffffffffffffffn) return T_LONG;
  return T_ULONG;
}

const isInt = (t: CType): boolean => t.kind === 'int';
const isPtr = (t: CType): t is Extract<CType, { kind: 'ptr' }> => t.kind === 'ptr';

/**
 * The step of pointer arithmetic on `t` (gdb's find_size_for_pointer_math(),
 * gdb/valarith.c): the target's size; void and functions step bytes; a
 * pointer to an incomplete struct (one the type table does not describe) is
 * refused, as gdb refuses it.
 */
function stride(t: Extract<CType, { kind: 'ptr' }>): bigint {
  if (t.to.kind === 'void' || t.to.kind === 'func') return 1n;
  const size = sizeOf(t.to);
  if (size === 0) {
    throw gdbError(
      'POINTER_MATH',
      `Cannot perform pointer math on incomplete type "${typeName(t.to)}", try casting to a known type, or void *.`,
    );
  }
  return BigInt(size);
}

/**
 * p - q (gdb's value_ptrdiff(), gdb/valarith.c): both targets must have one
 * size; a size gdb does not know (both incomplete) counts as 1, where gdb
 * also warns "Type size unknown, assuming 1".
 */
function ptrdiffStride(a: Extract<CType, { kind: 'ptr' }>, b: Extract<CType, { kind: 'ptr' }>): bigint {
  const size = (t: Extract<CType, { kind: 'ptr' }>): number =>
    t.to.kind === 'void' || t.to.kind === 'func' ? 1 : sizeOf(t.to);
  const sa = size(a);
  if (sa !== size(b)) {
    throw new InspectError(
      'POINTER_MATH',
      "First argument of `-' is a pointer and second argument is neither",
      {
        bare: true,
        more: ['an integer nor a pointer of the same type.'],
      },
    );
  }
  return BigInt(sa === 0 ? 1 : sa);
}

export function evaluate(ctx: EvalContext, e: Expr): Value {
  const km = ctx.km;
  const ev = (x: Expr): Value => evaluate(ctx, x);
  const num = (x: Expr): Value => {
    const val = decay(ev(x));
    if (val.type.kind !== 'int' && val.type.kind !== 'ptr')
      throw gdbError('NOT_SCALAR', 'Argument to arithmetic operation not a number or boolean.');
    return { type: val.type, v: scalarOf(km, val) };
  };
  switch (e.k) {
    case 'num':
      return rv(literalType(e.v, e.unsigned, e.long), e.v);
    case 'char':
      return rv({ kind: 'int', name: 'char', size: 1, signed: true, char: true }, e.v);
    case 'id': {
      const s = symbolType(km, e.name);
      if (!s) throw gdbError('NO_SYMBOL', `No symbol "${e.name}" in current context.`);
      return { type: s.type, addr: s.addr };
    }
    case 'hist': {
      const h = ctx.history ?? [];
      const idx = e.n === null ? h.length : e.n;
      if (idx < 1 || idx > h.length) {
        if (e.n === null && h.length === 0) return rv(T_INT, 0n);
        throw gdbError('NO_HISTORY', `History has not yet reached $${idx}.`);
      }
      return h[idx - 1]!;
    }
    case 'sizeof': {
      const t = e.type !== undefined ? parseType(e.type, km.structs) : ev(e.e!).type;
      return rv(T_ULONG, BigInt(sizeOf(t)));
    }
    case 'cast':
      return cast(ctx, parseType(e.type, km.structs), ev(e.e));
    case 'member': {
      let base = ev(e.e);
      if (base.type.kind === 'ptr') base = deref(ctx, base);
      if (base.type.kind !== 'struct')
        throw gdbError(
          'NOT_STRUCT',
          `Attempt to extract a component of a value that is not a structure${e.arrow ? ' pointer' : ''}.`,
        );
      const m = findMember(km, base.type.layout, e.name);
      if (!m) throw gdbError('NO_MEMBER', `There is no member named ${e.name}.`);
      if (base.addr === undefined) throw gdbError('BAD_VALUE', 'value has no contents');
      return { type: m.type, addr: base.addr + BigInt(m.offset), bits: m.field.bits };
    }
    case 'index': {
      const base = decay(ev(e.e));
      const i = num(e.i);
      if (!isPtr(base.type))
        throw gdbError('NOT_ARRAY', `cannot subscript something of type \`${typeName(base.type)}'`);
      if (!isInt(i.type))
        throw gdbError('BAD_INDEX', 'Argument to arithmetic operation not a number or boolean.');
      const p = scalarOf(km, base) + i.v! * stride(base.type);
      return deref(ctx, { type: base.type, v: u64(p) });
    }
    case 'un': {
      if (e.op === '&') {
        const val = ev(e.e);
        if (val.addr === undefined || val.bits)
          throw gdbError('NOT_LVALUE', 'Attempt to take address of value not located in memory.');
        return { type: { kind: 'ptr', to: val.type }, v: val.addr };
      }
      if (e.op === '*') {
        const val = decay(ev(e.e));
        return deref(ctx, val);
      }
      const val = num(e.e);
      if (e.op === '!') return rv(T_INT, val.v === 0n ? 1n : 0n);
      if (isPtr(val.type))
        throw gdbError('NOT_SCALAR', 'Argument to arithmetic operation not a number or boolean.');
      const t = promote(val.type);
      if (e.op === '-') return rv(t, -val.v!);
      if (e.op === '~') return rv(t, ~val.v!);
      return rv(t, val.v!);
    }
    case 'cond':
      return scalarOf(km, num(e.c)) !== 0n ? ev(e.t) : ev(e.f);
    case 'bin': {
      if (e.op === '&&') return rv(T_INT, num(e.l).v !== 0n && num(e.r).v !== 0n ? 1n : 0n);
      if (e.op === '||') return rv(T_INT, num(e.l).v !== 0n || num(e.r).v !== 0n ? 1n : 0n);
      const a = num(e.l);
      const b = num(e.r);
      return binop(e.op, a, b);
    }
  }
}

function binop(op: string, a: Value, b: Value): Value {
  const av = a.v!;
  const bv = b.v!;
  if (isPtr(a.type) || isPtr(b.type)) {
    if ((op === '+' || op === '-') && isPtr(a.type) && isInt(b.type))
      return rv(a.type, op === '+' ? av + bv * stride(a.type) : av - bv * stride(a.type));
    if (op === '+' && isInt(a.type) && isPtr(b.type)) return rv(b.type, bv + av * stride(b.type));
    if (op === '-' && isPtr(a.type) && isPtr(b.type)) {
      const s = ptrdiffStride(a.type, b.type);
      return rv(T_LONG, (BigInt.asIntN(64, av) - BigInt.asIntN(64, bv)) / s);
    }
    const cmp = compare(op, u64(av), u64(bv));
    if (cmp !== undefined) return rv(T_INT, cmp ? 1n : 0n);
    // Other arithmetic on pointers: gdb treats the pointer as a long.
    return binop(op, isPtr(a.type) ? rv(T_LONG, av) : a, isPtr(b.type) ? rv(T_LONG, bv) : b);
  }
  const t = op === '<<' || op === '>>' ? promote(a.type) : common(a.type, b.type);
  const ca = wrap(av, t);
  const cb = wrap(bv, t);
  const cmp = compare(op, ca, cb);
  if (cmp !== undefined) return rv(T_INT, cmp ? 1n : 0n);
  switch (op) {
    case '+':
      return rv(t, ca + cb);
    case '-':
      return rv(t, ca - cb);
    case '*':
      return rv(t, ca * cb);
    case '/':
    case '%':
      if (cb === 0n) throw gdbError('DIV_ZERO', 'Division by zero');
      return rv(t, op === '/' ? ca / cb : ca % cb);
    case '&':
      return rv(t, ca & cb);
    case '|':
      return rv(t, ca | cb);
    case '^':
      return rv(t, ca ^ cb);
    case '<<':
      return rv(t, bv >= 64n || bv < 0n ? 0n : ca << bv);
    case '>>':
      return rv(t, bv >= 64n || bv < 0n ? (ca < 0n ? -1n : 0n) : ca >> bv);
    default:
      throw gdbError('BAD_OP', `unsupported operator ${op}`);
  }
}

function compare(op: string, a: bigint, b: bigint): boolean | undefined {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    default:
      return undefined;
  }
}

export function deref(ctx: EvalContext, val: Value): Value {
  const v = decay(val);
  if (!isPtr(v.type) || v.type.to.kind === 'void')
    throw gdbError('NOT_POINTER', 'Attempt to take contents of a non-pointer value.');
  const addr = scalarOf(ctx.km, v);
  if (v.type.to.kind !== 'func' && v.type.to.kind !== 'array' && v.type.to.kind !== 'struct') {
    // Check readability now so `p *ptr` of a bad pointer fails like gdb.
    try {
      ctx.km.read(addr, sizeOf(v.type.to));
    } catch {
      throw cannotAccess(addr);
    }
  }
  return { type: v.type.to, addr };
}

export function cast(ctx: EvalContext, to: CType, val: Value): Value {
  if (to.kind === 'struct' || to.kind === 'array') {
    // gdb allows (struct x) on an lvalue of that size: reinterpret memory.
    if (val.addr !== undefined && sizeOf(val.type) === sizeOf(to)) return { type: to, addr: val.addr };
    throw gdbError('BAD_CAST', 'Invalid cast.');
  }
  if (to.kind === 'void') return { type: to, v: 0n };
  const d = decay(val);
  if (d.type.kind !== 'int' && d.type.kind !== 'ptr') throw gdbError('BAD_CAST', 'Invalid cast.');
  return rv(to, scalarOf(ctx.km, d));
}

/** Parse and evaluate. */
export function evaluateText(ctx: EvalContext, text: string): Value {
  return evaluate(ctx, parseIn(ctx.km, text));
}
