/**
 * e820 tables from kernel log text: dmesg, journalctl, syslog, serial
 * consoles, mail quotes, hard-wrapped pastes.
 *
 * Line forms understood (after stripping prefixes, see stripPrefixes):
 *   BIOS-e820: [mem 0x…-0x…] <type>             e820__print_table (inclusive end)
 *   BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)   2.6 style (exclusive end)
 *   Xen: / user: / reserve setup_data: / extended:  same forms, other tables
 *   BIOS-e820: [gap 0x…-0x…]                    v7.0 informational lines (skipped)
 *   e820: update [mem 0x…-0x…] <type> ==> <type>   __e820__range_update
 *   e820: remove [mem 0x…-0x…] [<type>]            e820__range_remove
 *   e820 update range: A - B (<type>) ==> (<type>)  2.6 style of the two above
 *   Linux version …                               starts a new boot
 *   Command line: …                               that boot's command line
 * Any other line is skipped. A line that starts like a table line but does not
 * finish like one is an error (file:line:column, what was expected).
 */
import { ParseError } from '../errors.js';
import { isTypeNamePrefix, parseE820TypeName } from './e820-format.js';
import { E820_MAX_ENTRIES } from './e820-limits.js';
import { sameE820, sanitizeE820 } from './e820-table.js';
import { E820_TYPE, type E820Edit, type E820Entry, type ParsedE820 } from './e820-types.js';

/** Prefixes a kernel line may carry in the wild, stripped in any order and repetition. */
const PREFIXES: readonly RegExp[] = [
  /^\s+/,
  /^(?:>\s?)+/, // mail quotes
  /^#+\s*/, // comment markers in scripts / notes
  /^<\d+>/, // printk level
  /^\[\s*\d+(?:\.\d+)?\]\s*/, // printk time, any width ([17179569.184000] too)
  /^\[\s*\]\s*/, // empty timestamp
  /^\[\s*[TC]\d+\]\s*/, // caller id [    T0]
  /^(?:\S+\s+){0,4}?kernel:\s*/, // syslog / journal: "Sep 17 16:16:05 host kernel: "
  // CI / test-lab consoles (LAVA, KernelCI): "1839 17:54:41.406548  <6>[    0.000000] …" —
  // a line number only when a wall-clock time follows, then the time itself.
  /^\d+\s+(?=\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\s)/,
  /^\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\s+/,
];

const KEYWORD =
  /^(?:BIOS-e820|Xen|user|reserve setup_data|extended)\s?:|^e820(?::| update range:| remove range:)|^Linux version |^Command line:/;

interface Stripped {
  body: string;
  /** 0-based offset of body in the raw line. */
  offset: number;
}

function stripPrefixes(raw: string): Stripped {
  let body = raw;
  for (let guard = 0; guard < 16; guard++) {
    if (KEYWORD.test(body)) break;
    let changed = false;
    for (const re of PREFIXES) {
      const m = re.exec(body);
      if (m && m[0].length > 0) {
        body = body.slice(m[0].length);
        changed = true;
        break;
      }
    }
    if (!changed) break;
  }
  return { body: body.replace(/\s+$/, ''), offset: raw.length - body.length };
}

type RangeResult =
  | { ok: true; start: bigint; end: bigint; rest: string; exclusive: boolean }
  | { ok: 'gap' }
  | { ok: false; pos: number; expected: string; incomplete: boolean };

const HEX = /^[0-9a-fA-F]+/;

/** `[mem 0xA-0xB] rest` (inclusive) or `A - B rest` (exclusive, 2.6). */
function parseRange(s: string): RangeResult {
  if (s.startsWith('[gap')) return { ok: 'gap' };
  if (s.startsWith('[')) {
    let p = 0;
    const fail = (expected: string): RangeResult => ({
      ok: false,
      pos: p,
      expected,
      incomplete: p >= s.length,
    });
    if (!s.startsWith('[mem')) {
      if ('[mem'.startsWith(s)) return { ok: false, pos: s.length, expected: "'[mem '", incomplete: true };
      return fail("'[mem '");
    }
    p = 4;
    while (s[p] === ' ') p++;
    const addr = (): bigint | RangeResult => {
      if (s.slice(p, p + 2) !== '0x') {
        if ('0x'.startsWith(s.slice(p))) p = s.length;
        return fail('a 0x-prefixed hex address');
      }
      p += 2;
      const m = HEX.exec(s.slice(p));
      if (!m) return fail('hex digits');
      if (m[0].length > 16) return fail('at most 16 hex digits (a 64-bit address)');
      p += m[0].length;
      return BigInt(`0x${m[0]}`);
    };
    const a = addr();
    if (typeof a !== 'bigint') return a;
    if (s[p] !== '-') return fail("'-' between start and end");
    p++;
    const b = addr();
    if (typeof b !== 'bigint') return b;
    if (s[p] !== ']') return fail("']' after the end address");
    p++;
    return { ok: true, start: a, end: b, rest: s.slice(p).trim(), exclusive: false };
  }
  const m = /^([0-9a-fA-F]+)(\s*-\s*)?([0-9a-fA-F]*)/.exec(s);
  if (!m) return { ok: false, pos: 0, expected: "'[mem 0x…-0x…]' or 'start - end'", incomplete: s === '' };
  if (!m[2])
    return {
      ok: false,
      pos: m[1]!.length,
      expected: "' - ' after the start address",
      incomplete: m[0].length >= s.length,
    };
  if (!m[3])
    return {
      ok: false,
      pos: m[0].length,
      expected: 'the hex end address',
      incomplete: m[0].length >= s.length,
    };
  if (m[1]!.length > 16 || m[3].length > 16)
    return { ok: false, pos: 0, expected: 'at most 16 hex digits (a 64-bit address)', incomplete: false };
  return {
    ok: true,
    start: BigInt(`0x${m[1]}`),
    end: BigInt(`0x${m[3]}`),
    rest: s.slice(m[0].length).trim(),
    exclusive: true,
  };
}

interface Block {
  origin: string;
  entries: E820Entry[];
  line: number;
  complete: boolean;
}

interface Segment {
  blocks: Block[];
  /** Complete, non-repeated blocks in the order seen. */
  complete: Block[];
  edits: E820Edit[];
  setupUpdates: { addr: bigint; size: bigint }[];
  cmdline?: string;
}

/** Kernel print order within one boot (setup_arch): firmware, extended, reserve setup_data, user. */
const RANK: Record<string, number> = {
  'BIOS-e820': 0,
  Xen: 0,
  extended: 1,
  'reserve setup_data': 2,
  user: 3,
};

const newSegment = (): Segment => ({ blocks: [], complete: [], edits: [], setupUpdates: [] });

export function parseE820Text(text: string, file: string): ParsedE820[] {
  const lines = text.split(/\r?\n/);
  const segments: Segment[] = [newSegment()];
  let seg = segments[0]!;
  let block: Block | undefined;
  let totalEntries = 0;

  const err = (code: string, msg: string, line: number, column?: number): ParseError =>
    new ParseError(code, msg, column === undefined ? { file, line } : { file, line, column });

  const closeBlock = (): void => {
    if (!block) return;
    const b = block;
    block = undefined;
    if (!b.complete) {
      seg.blocks.push(b);
      return;
    }
    // A complete table printed again in the same boot (e.g. `dmesg | grep e820` appended to a console log).
    if (seg.complete.some((c) => c.origin === b.origin && sameE820(c.entries, b.entries))) return;
    const last = seg.complete[seg.complete.length - 1];
    if (last && RANK[b.origin]! <= RANK[last.origin]!) {
      // A kernel prints these tables once each, in RANK order: this one belongs to another boot.
      seg = newSegment();
      segments.push(seg);
    }
    seg.blocks.push(b);
    seg.complete.push(b);
  };

  /** Edits are idempotent; a log that repeats its lines (a grep appended to a console log) repeats them. */
  const pushEdit = (e: E820Edit): void => {
    const dup = seg.edits.some(
      (x) =>
        x.kind === e.kind &&
        x.addr === e.addr &&
        x.size === e.size &&
        x.fromType === e.fromType &&
        x.toType === e.toType,
    );
    if (!dup) seg.edits.push(e);
  };

  /** Is raw line i+1 a wrapped continuation of line i (no prefix, no keyword)? */
  const continuation = (i: number): string | undefined => {
    const next = lines[i + 1];
    if (next === undefined) return undefined;
    const t = next.trim();
    if (t === '' || KEYWORD.test(t)) return undefined;
    // A line with its own timestamp / syslog prefix is a new message, not a wrapped tail.
    if (stripPrefixes(t).offset !== 0) return undefined;
    return t;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const { body, offset } = stripPrefixes(raw);
    if (body === '') continue; // blank lines do not end a table (some pastes double-space it)
    if (/physical RAM map:$/.test(body)) continue; // headers
    if (body.startsWith('Linux version ')) {
      closeBlock();
      if (seg.blocks.length > 0 || seg.edits.length > 0 || seg.setupUpdates.length > 0) {
        seg = newSegment();
        segments.push(seg);
      }
      continue;
    }
    const cl = /^Command line:\s?(.*)$/.exec(body);
    if (cl) {
      seg.cmdline ??= cl[1]!;
      continue;
    }

    const table = /^(BIOS-e820|Xen|user|reserve setup_data|extended)\s?:\s*/.exec(body);
    const edit = /^e820(?::\s*(update|remove)\s+|\s+(update|remove) range:\s*)/.exec(body);
    if (!table && !edit) {
      closeBlock();
      continue;
    }
    let rest = body.slice((table ?? edit)![0].length);
    let restCol = offset + (table ?? edit)![0].length + 1;
    if (table && !/^[[0-9a-fA-F]/.test(rest)) {
      closeBlock();
      continue; // "user: …" prose etc.: not a table line
    }
    if (edit && !/^[[0-9a-fA-F]/.test(rest)) {
      closeBlock();
      continue; // "e820: reserve RAM buffer …", "e820: [mem …] available …" are not edits
    }

    // Parse the range, joining hard-wrapped continuation lines when the line stops early.
    let r = parseRange(rest);
    while (r.ok === false && r.incomplete) {
      const c = continuation(i);
      if (c === undefined) break;
      rest += c;
      i++;
      r = parseRange(rest);
    }
    if (r.ok === 'gap') continue;
    if (r.ok === false) {
      const col = restCol + Math.min(r.pos, rest.length);
      if (/>$/.test(rest) && r.pos >= rest.length - 1) {
        throw err(
          'E820_TRUNCATED_LINE',
          `line is truncated (ends with '>' as journalctl cuts long lines): expected ${r.expected}`,
          lineNo,
          col,
        );
      }
      throw err(
        'E820_BAD_LINE',
        `malformed e820 line: expected ${r.expected}${r.incomplete ? ' (line ends early)' : ''}`,
        lineNo,
        col,
      );
    }
    const size = r.exclusive ? r.end - r.start : r.end - r.start + 1n;
    if (size <= 0n) {
      throw err(
        'E820_BAD_RANGE',
        `end 0x${r.end.toString(16)} is below start 0x${r.start.toString(16)}: expected end ${r.exclusive ? '>' : '>='} start`,
        lineNo,
        restCol,
      );
    }
    let typeText = r.rest;
    const typeCol = restCol + rest.length - r.rest.length;
    restCol = typeCol;

    if (table) {
      // Type name; a hard wrap may have moved it (or its second word) to the next line.
      let type = parseE820TypeName(typeText);
      while (type === undefined && isTypeNamePrefix(typeText)) {
        const c = continuation(i);
        if (c === undefined) break;
        typeText = `${typeText} ${c}`.trim();
        i++;
        type = parseE820TypeName(typeText);
      }
      if (type === undefined && typeText === '') {
        throw err(
          'E820_BAD_TYPE',
          "missing e820 type after ']': expected usable, reserved, ACPI data, ACPI NVS, …",
          lineNo,
          typeCol,
        );
      }
      if (type === undefined) {
        throw err(
          'E820_BAD_TYPE',
          `unknown e820 type '${typeText}': expected usable, reserved, ACPI data, ACPI NVS, unusable, persistent (type N), soft reserved or type N`,
          lineNo,
          typeCol,
        );
      }
      if (++totalEntries > E820_MAX_ENTRIES)
        throw err('E820_TOO_MANY_ENTRIES', `more than ${E820_MAX_ENTRIES} e820 entries`, lineNo);
      const origin = table[1]!;
      const entry = { addr: r.start, size, type };
      if (block && (block.origin !== origin || entry.addr < block.entries[block.entries.length - 1]!.addr))
        closeBlock();
      if (!block) block = { origin, entries: [], line: lineNo, complete: entry.addr < 0x100000n };
      block.entries.push(entry);
      continue;
    }

    // An edit line.
    closeBlock();
    const kind = (edit![1] ?? edit![2]) as 'update' | 'remove';
    if (kind === 'update') {
      const parts = typeText.split('==>');
      const from = parts.length === 2 ? parseE820TypeName(parts[0]!) : undefined;
      const to = parts.length === 2 ? parseE820TypeName(parts[1]!) : undefined;
      if (from === undefined || to === undefined) {
        throw err(
          'E820_BAD_EDIT',
          `malformed e820 update: expected '<type> ==> <type>', got '${typeText}'`,
          lineNo,
          typeCol,
        );
      }
      if (from === E820_TYPE.RAM && to === E820_TYPE.RAM) {
        // e820__reserve_setup_data(): RAM → RESERVED_KERN, which prints as "usable".
        if (!seg.setupUpdates.some((s) => s.addr === r.start && s.size === size))
          seg.setupUpdates.push({ addr: r.start, size });
      } else {
        pushEdit({ kind, addr: r.start, size, fromType: from, toType: to, line: lineNo });
      }
    } else {
      let from: number | null = null;
      if (typeText !== '') {
        const t = parseE820TypeName(typeText);
        if (t === undefined)
          throw err('E820_BAD_EDIT', `malformed e820 remove: unknown type '${typeText}'`, lineNo, typeCol);
        from = t;
      }
      pushEdit({ kind, addr: r.start, size, fromType: from, line: lineNo });
    }
  }
  closeBlock();

  const out: ParsedE820[] = [];
  for (const s of segments) {
    if (s.blocks.length === 0) continue;
    out.push(buildBoot(s, out.length));
  }
  if (out.length === 0) {
    throw new ParseError(
      'E820_NOT_FOUND',
      'no e820 table found (expected BIOS-e820:, Xen:, user: or reserve setup_data: lines, /proc/iomem, QEMU etc/e820 or JSON)',
      { file },
    );
  }
  return out;
}

/** Odd-indexed pieces of each run of touching usable entries: the setup_data ranges e820_update_range() split out. */
function setupDataFromPieces(entries: readonly E820Entry[]): { addr: bigint; size: bigint }[] {
  const out: { addr: bigint; size: bigint }[] = [];
  let run = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const prev = entries[i - 1];
    const touches =
      prev !== undefined &&
      prev.type === E820_TYPE.RAM &&
      e.type === E820_TYPE.RAM &&
      prev.addr + prev.size === e.addr;
    run = touches ? run + 1 : 0;
    if (run % 2 === 1) out.push({ addr: e.addr, size: e.size });
  }
  return out;
}

function buildBoot(s: Segment, bootIndex: number): ParsedE820 {
  const notes: string[] = [];
  const pick = (...origins: string[]) => s.complete.find((b) => origins.includes(b.origin));
  const fw = pick('extended') ?? pick('BIOS-e820', 'Xen');
  const sd = pick('reserve setup_data');
  const user = pick('user');
  let chosen: Block;
  let complete = true;
  if (fw) chosen = fw;
  else if (sd) {
    chosen = sd;
    notes.push('firmware table rebuilt from the "reserve setup_data" table: touching usable pieces merged');
  } else if (user) {
    chosen = user;
    notes.push(
      'only the user-defined table (after memmap=/mem=) is in the log: it is the kernel view, not e820_table_firmware',
    );
  } else {
    chosen = s.blocks[0]!;
    complete = false;
    notes.push('only a fragment of a table was found (it does not start below 1 MiB)');
  }
  let setupData = [...s.setupUpdates];
  if (setupData.length === 0 && sd) {
    setupData = setupDataFromPieces(sd.entries);
    if (setupData.length > 0)
      notes.push('setup_data ranges inferred from split usable pieces (odd-indexed piece of each run)');
  }
  const result: ParsedE820 = {
    source: 'dmesg',
    bootIndex,
    origin: chosen.origin,
    entries: sanitizeE820(chosen.entries),
    setupData,
    logEdits: s.edits,
    line: chosen.line,
    complete,
    notes,
  };
  if (s.cmdline !== undefined) result.cmdline = s.cmdline;
  if (user && user !== chosen) result.userTable = user.entries;
  return result;
}
