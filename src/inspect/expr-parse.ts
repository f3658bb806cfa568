/**
 * The C expression language of crash's `p`, `x` and `eval` (gdb's subset that
 * people type at a crash prompt): globals, `.member`, `->member`, `*ptr`,
 * `&sym`, `a[i]`, casts `(struct page *)`, `(char *)`, `(void *)`,
 * `sizeof`, integer operators with C precedence, `?:`, value history `$N`,
 * and crash's size suffixes on numbers (`16k`, `2m`, `1g`).
 *
 * Grammar (precedence climbing, lowest first):
 *   cond   := or ('?' expr ':' cond)?
 *   binary := unary (op unary)*        || && | ^ & == != < > <= >= << >> + - * / %
 *   unary  := ('-'|'+'|'~'|'!'|'*'|'&') unary | '(' type ')' unary | sizeof … | postfix
 *   postfix:= primary ('.' id | '->' id | '[' expr ']')*
 *   primary:= number | char | id | $N | '(' expr ')'
 * Input is bounded (length and nesting) so any line parses or fails fast.
 */
import { InspectError } from './errors.js';

export type Expr =
  | { readonly k: 'num'; readonly v: bigint; readonly unsigned: boolean; readonly long?: boolean }
  | { readonly k: 'char'; readonly v: bigint }
  | { readonly k: 'id'; readonly name: string }
  | { readonly k: 'hist'; readonly n: number | null }
  | { readonly k: 'un'; readonly op: string; readonly e: Expr }
  | { readonly k: 'bin'; readonly op: string; readonly l: Expr; readonly r: Expr }
  | { readonly k: 'cond'; readonly c: Expr; readonly t: Expr; readonly f: Expr }
  | { readonly k: 'member'; readonly e: Expr; readonly name: string; readonly arrow: boolean }
  | { readonly k: 'index'; readonly e: Expr; readonly i: Expr }
  | { readonly k: 'cast'; readonly type: string; readonly e: Expr }
  | { readonly k: 'sizeof'; readonly type?: string; readonly e?: Expr };

interface Tok {
  t: 'num' | 'char' | 'id' | 'hist' | 'op' | 'end';
  s: string;
  pos: number;
  v?: bigint;
  unsigned?: boolean;
  long?: boolean;
}

const MAX_LEN = 4096;
const MAX_DEPTH = 128;

const OPS = ['->', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', ...'+-*/%&|^~!<>?:()[].,'];

function syntaxError(text: string, pos: number): InspectError {
  // One line, no raw control characters, whatever the input holds.
  const near = Array.from(text.slice(pos, pos + 200), (c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }).join('');
  return new InspectError(
    'BAD_EXPR',
    near ? `A syntax error in expression, near \`${near}'.` : "A syntax error in expression, near `'.",
    true,
  );
}

const ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  '0': 0,
  '\\': 92,
  "'": 39,
  '"': 34,
  a: 7,
  b: 8,
  f: 12,
  v: 11,
  e: 27,
};

function lex(text: string): Tok[] {
  if (text.length > MAX_LEN) throw new InspectError('BAD_EXPR', 'expression too long', true);
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgG](?![\w]))?([uUlL]*)(?![\w.])/.exec(
        text.slice(i),
      );
      if (!m) throw syntaxError(text, i);
      const lit = m[1]!;
      let v =
        lit.length > 1 && lit[0] === '0' && !/[xX]/.test(lit) ? BigInt(`0o${lit.slice(1)}`) : BigInt(lit);
      const suffix = m[2]?.toLowerCase();
      if (suffix) v <<= { k: 10n, m: 20n, g: 30n }[suffix as 'k' | 'm' | 'g'];
      toks.push({
        t: 'num',
        s: m[0],
        pos: start,
        v,
        unsigned: /u/i.test(m[3] ?? '') || v > 0x7fffffffffffffffn,
        long: /l/i.test(m[3] ?? ''),
      });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*/.exec(text.slice(i))!;
      toks.push({ t: 'id', s: m[0], pos: start });
      i += m[0].length;
      continue;
    }
    if (c === '$') {
      const m = /^\$(\d*)/.exec(text.slice(i))!;
      toks.push({ t: 'hist', s: m[0], pos: start, v: m[1] ? BigInt(m[1]) : -1n });
      i += m[0].length;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\(?:[0-7]{1,3}|x[0-9a-fA-F]+|.)|[^\\'])'/.exec(text.slice(i));
      if (!m) throw syntaxError(text, i);
      const body = m[1]!;
      let v: number;
      if (body[0] !== '\\') v = body.charCodeAt(0);
      else if (/^\\[0-7]/.test(body)) v = Number.parseInt(body.slice(1), 8);
      else if (body[1] === 'x') v = Number.parseInt(body.slice(2), 16);
      else v = ESCAPES[body[1]!] ?? body.charCodeAt(1);
      toks.push({ t: 'char', s: m[0], pos: start, v: BigInt(v & 0xff) });
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) throw syntaxError(text, i);
    toks.push({ t: 'op', s: op, pos: start });
    i += op.length;
  }
  toks.push({ t: 'end', s: '', pos: text.length });
  return toks;
}

const BINARY: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

const TYPE_WORDS = new Set([
  'struct',
  'union',
  'enum',
  'unsigned',
  'signed',
  'char',
  'short',
  'int',
  'long',
  'void',
  'const',
  'volatile',
  '_Bool',
]);

/**
 * Parse `text`. `isTypedef(name)` tells whether an identifier names a type
 * (u64, nodemask_t, …), which decides whether `(name)` is a cast.
 */
export function parseExpression(text: string, isTypedef: (name: string) => boolean = () => false): Expr {
  const toks = lex(text);
  let p = 0;
  let depth = 0;
  const peek = (): Tok => toks[p]!;
  const next = (): Tok => toks[p++]!;
  const isOp = (s: string): boolean => peek().t === 'op' && peek().s === s;
  const expect = (s: string): void => {
    if (!isOp(s)) throw syntaxError(text, peek().pos);
    p++;
  };
  const enter = (): void => {
    if (++depth > MAX_DEPTH) throw new InspectError('BAD_EXPR', 'expression nested too deeply', true);
  };

  const startsType = (at: number): boolean => {
    const t = toks[at]!;
    return t.t === 'id' && (TYPE_WORDS.has(t.s) || isTypedef(t.s));
  };

  /** Type name inside parentheses (p points at its first token); returns its text. */
  const typeName = (): string => {
    const words: string[] = [];
    const first = peek();
    if (first.t === 'id' && (first.s === 'struct' || first.s === 'union' || first.s === 'enum')) {
      next();
      const tag = next();
      if (tag.t !== 'id') throw syntaxError(text, tag.pos);
      words.push(`${first.s} ${tag.s}`);
    } else {
      while (peek().t === 'id' && (TYPE_WORDS.has(peek().s) || (words.length === 0 && isTypedef(peek().s)))) {
        const w = next().s;
        if (w !== 'const' && w !== 'volatile') words.push(w);
      }
      if (words.length === 0) throw syntaxError(text, peek().pos);
    }
    let stars = '';
    while (isOp('*')) {
      next();
      stars += '*';
    }
    return stars ? `${words.join(' ')} ${stars}` : words.join(' ');
  };

  const primary = (): Expr => {
    const t = next();
    switch (t.t) {
      case 'num':
        return { k: 'num', v: t.v!, unsigned: t.unsigned!, long: t.long };
      case 'char':
        return { k: 'char', v: t.v! };
      case 'hist':
        return { k: 'hist', n: t.v! < 0n ? null : Number(t.v!) };
      case 'id':
        if (t.s === 'sizeof') {
          if (isOp('(') && startsType(p + 1)) {
            next();
            const type = typeName();
            expect(')');
            return { k: 'sizeof', type };
          }
          return { k: 'sizeof', e: unary() };
        }
        return { k: 'id', name: t.s };
      case 'op':
        if (t.s === '(') {
          enter();
          const e = expr();
          expect(')');
          depth--;
          return e;
        }
        break;
      default:
        break;
    }
    throw syntaxError(text, t.pos);
  };

  const postfix = (): Expr => {
    let e = primary();
    for (;;) {
      if (isOp('.') || isOp('->')) {
        const arrow = next().s === '->';
        const id = next();
        if (id.t !== 'id') throw syntaxError(text, id.pos);
        e = { k: 'member', e, name: id.s, arrow };
      } else if (isOp('[')) {
        next();
        enter();
        const i = expr();
        depth--;
        expect(']');
        e = { k: 'index', e, i };
      } else return e;
    }
  };

  const unary = (): Expr => {
    enter();
    try {
      const t = peek();
      if (t.t === 'op' && ['-', '+', '~', '!', '*', '&'].includes(t.s)) {
        next();
        return { k: 'un', op: t.s, e: unary() };
      }
      if (t.t === 'op' && t.s === '(' && startsType(p + 1)) {
        next();
        const type = typeName();
        expect(')');
        return { k: 'cast', type, e: unary() };
      }
      return postfix();
    } finally {
      depth--;
    }
  };

  const binary = (minPrec: number): Expr => {
    let l = unary();
    for (;;) {
      const t = peek();
      const prec = t.t === 'op' ? BINARY[t.s] : undefined;
      if (prec === undefined || prec < minPrec) return l;
      next();
      enter();
      const r = binary(prec + 1);
      depth--;
      l = { k: 'bin', op: t.s, l, r };
    }
  };

  const expr = (): Expr => {
    const c = binary(1);
    if (!isOp('?')) return c;
    next();
    enter();
    const t = expr();
    expect(':');
    const f = expr();
    depth--;
    return { k: 'cond', c, t, f };
  };

  if (peek().t === 'end') throw syntaxError(text, 0);
  const e = expr();
  if (peek().t !== 'end') throw syntaxError(text, peek().pos);
  return e;
}

/** True when the expression is a lone identifier (crash prints `name = $N = …` then). */
export const isBareSymbol = (e: Expr): e is Extract<Expr, { k: 'id' }> => e.k === 'id';
