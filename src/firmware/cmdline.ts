/**
 * The memory options of a kernel command line: `mem=`, `memmap=` (and
 * `nokaslr`). Parsed the way the kernel tokenizes (next_arg() in
 * lib/cmdline.c: spaces split words, double quotes group, `--` ends kernel
 * options) and reads numbers (memparse(): simple_strtoull base 0 + one
 * K/M/G/T/P/E suffix). What each option DOES to e820 is buildKernelE820's job,
 * because that depends on the kernel (profile.e820.memmapOperators).
 */

/** One `memmap=` item (a comma list gives several) or one `mem=` value. */
export interface MemmapItem {
  /** The item text as written (`16G!4G`, `exactmap`). */
  readonly raw: string;
  /** `memmap=exactmap`. */
  readonly exactmap: boolean;
  /** memparse() of the leading size; undefined when no digits (the kernel returns -EINVAL). */
  readonly size?: bigint;
  /** The character after the size ('' at end of text). */
  readonly op: string;
  /** memparse() after the operator, for '@#$!%'. */
  readonly start?: bigint;
  /** '%' only: `-old` and `+new` types (0 = absent, as the kernel). */
  readonly from?: number;
  readonly to?: number;
  /** Text the kernel does not consume; non-empty means the kernel returns -EINVAL. */
  readonly trailing: string;
}

export interface MemOption {
  readonly param: 'mem' | 'memmap';
  /** The value after `=` (undefined for a bare `memmap`). */
  readonly value?: string;
  readonly items: MemmapItem[];
}

export interface KernelCmdlineMemOptions {
  /** mem= / memmap= in command-line order (the kernel applies them in that order). */
  readonly options: MemOption[];
  readonly nokaslr: boolean;
  /** Every other word, verbatim and in order (resume=, hibernate=, init args after `--`, …). */
  readonly other: string[];
}

/**
 * simple_strtoull(s, &end, 0) from `pos`: returns the value (wrapped to u64, as the
 * kernel's arithmetic does), where parsing stopped, and whether it wrapped.
 */
export function strtoull0(s: string, pos: number): { value: bigint; end: number; overflow?: boolean } {
  let base = 10;
  let p = pos;
  if (s[p] === '0' && (s[p + 1] === 'x' || s[p + 1] === 'X') && /[0-9a-fA-F]/.test(s[p + 2] ?? '')) {
    base = 16;
    p += 2;
  } else if (s[p] === '0') base = 8;
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  let v = 0n;
  let overflow = false;
  const start = p;
  while (p < s.length && digits.test(s[p]!)) {
    const next = v * BigInt(base) + BigInt(Number.parseInt(s[p]!, 16));
    v = BigInt.asUintN(64, next);
    if (v !== next) overflow = true;
    p++;
  }
  if (p === start && base !== 8) return { value: 0n, end: pos };
  return overflow ? { value: v, end: p, overflow } : { value: v, end: p };
}

/**
 * memparse(): a number with an optional K/M/G/T/P/E suffix (lib/cmdline.c). The
 * kernel wraps silently (16E is 0); `overflow` says it happened, for callers that
 * must refuse such a size instead.
 */
export function memparse(s: string, pos: number): { value: bigint; end: number; overflow?: boolean } {
  const r = strtoull0(s, pos);
  if (r.end === pos) return r;
  const shift: Record<string, bigint> = { k: 10n, m: 20n, g: 30n, t: 40n, p: 50n, e: 60n };
  const sh = shift[(s[r.end] ?? '').toLowerCase()];
  if (sh !== undefined) {
    const value = BigInt.asUintN(64, r.value << sh);
    const overflow = r.overflow === true || value !== r.value << sh;
    return overflow ? { value, end: r.end + 1, overflow } : { value, end: r.end + 1 };
  }
  return r;
}

/** Parse one memmap= item the way parse_memmap_one() reads it. */
export function parseMemmapItem(raw: string): MemmapItem {
  if (raw.startsWith('exactmap')) return { raw, exactmap: true, op: '', trailing: raw.slice(8) };
  const sz = memparse(raw, 0);
  if (sz.end === 0) return { raw, exactmap: false, op: raw[0] ?? '', trailing: raw };
  const op = raw[sz.end] ?? '';
  if (!'@#$!%'.includes(op) || op === '') {
    return { raw, exactmap: false, size: sz.value, op, trailing: raw.slice(sz.end) };
  }
  const st = memparse(raw, sz.end + 1);
  let p = st.end === sz.end + 1 ? sz.end + 1 : st.end;
  let from: number | undefined;
  let to: number | undefined;
  if (op === '%') {
    from = 0;
    to = 0;
    if (raw[p] === '-') {
      const r = strtoull0(raw, p + 1);
      from = Number(BigInt.asUintN(32, r.value));
      p = r.end === p + 1 ? p + 1 : r.end;
    }
    if (raw[p] === '+') {
      const r = strtoull0(raw, p + 1);
      to = Number(BigInt.asUintN(32, r.value));
      p = r.end === p + 1 ? p + 1 : r.end;
    }
  }
  const item: MemmapItem = {
    raw,
    exactmap: false,
    size: sz.value,
    op,
    start: st.value,
    trailing: raw.slice(p),
  };
  return op === '%' ? { ...item, from: from!, to: to! } : item;
}

/** Split a command line into words as next_arg() does (quotes group and are removed). */
export function splitCmdline(cmdline: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (const ch of cmdline) {
    if (ch === '"') {
      inQuote = !inQuote;
      has = true;
      continue;
    }
    if (!inQuote && /\s/.test(ch)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += ch;
    has = true;
  }
  if (has) words.push(cur);
  return words;
}

export function parseKernelCmdline(cmdline: string): KernelCmdlineMemOptions {
  const options: MemOption[] = [];
  const other: string[] = [];
  let nokaslr = false;
  let initArgs = false;
  for (const w of splitCmdline(cmdline)) {
    if (initArgs) {
      other.push(w);
      continue;
    }
    if (w === '--') {
      initArgs = true;
      other.push(w);
      continue;
    }
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    const value = eq < 0 ? undefined : w.slice(eq + 1);
    if (key === 'nokaslr') nokaslr = true;
    if (key === 'memmap') {
      // parse_memmap_opt(): a comma-separated list, each item through parse_memmap_one().
      const items = value === undefined ? [] : value.split(',').map(parseMemmapItem);
      options.push(value === undefined ? { param: 'memmap', items } : { param: 'memmap', value, items });
    } else if (key === 'mem') {
      const items: MemmapItem[] = [];
      if (value !== undefined && value !== 'nopentium') {
        const r = memparse(value, 0);
        items.push({ raw: value, exactmap: false, size: r.value, op: '', trailing: value.slice(r.end) });
      }
      options.push(value === undefined ? { param: 'mem', items } : { param: 'mem', value, items });
    } else if (key !== 'nokaslr') {
      other.push(w);
    }
  }
  return { options, nokaslr, other };
}
