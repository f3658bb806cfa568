/**
 * hiblab's JSON form of an e820 table:
 *
 *   {
 *     "e820": [                                   // or "firmware" (what `hiblab e820 show --json` prints), or a bare array
 *       { "addr": "0x0",      "size": "0x9fc00",    "type": "usable" },
 *       { "addr": "0x100000", "end":  "0x7fffffff", "type": 1 }
 *     ],
 *     "setupData": [ { "addr": "0x…", "size": "0x…" } ],   // optional
 *     "cmdline": "…"                                       // optional
 *   }
 *
 * Numbers are JSON integers or strings ("0x…" hex, decimal, K/M/G suffixes).
 * `end` is INCLUSIVE, as the kernel prints "[mem a-b]". `type` is a number or
 * a printed name ("usable", "ACPI NVS", "persistent (type 12)", "type 20", …).
 */
import { ParseError } from '../errors.js';
import { parseNumber } from '../util/hex.js';
import { findJsonSyntaxError } from '../util/json-syntax.js';
import { parseE820TypeName } from './e820-format.js';
import { E820_MAX_ENTRIES, e820RangeFits } from './e820-limits.js';
import { sanitizeE820 } from './e820-table.js';
import type { E820Entry, ParsedE820 } from './e820-types.js';

function lineCol(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, column: pos - before.lastIndexOf('\n') };
}

export function parseE820Json(text: string, file: string): ParsedE820[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's message may have no position and quotes the input: locate the error ourselves.
    const syn = findJsonSyntaxError(text);
    if (!syn) throw new ParseError('E820_BAD_JSON', 'invalid JSON', { file });
    throw new ParseError('E820_BAD_JSON', `invalid JSON: ${syn.message}`, {
      file,
      ...lineCol(text, syn.offset),
    });
  }
  const bad = (path: string, expected: string): ParseError =>
    new ParseError('E820_BAD_JSON', `${path}: expected ${expected}`, { file });
  const obj = (Array.isArray(doc) ? { e820: doc } : doc) as Record<string, unknown> | null;
  if (obj === null || typeof obj !== 'object') throw bad('(top level)', 'an object with an "e820" array');
  const list = obj.e820 ?? obj.firmware;
  if (!Array.isArray(list)) throw bad('(top level)', 'an "e820" array of {addr, size|end, type}');
  if (list.length > E820_MAX_ENTRIES) throw bad('e820', `at most ${E820_MAX_ENTRIES} entries`);
  const num = (v: unknown, path: string): bigint => {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
    if (typeof v === 'string') {
      const n = parseNumber(v);
      if (n !== undefined && n < 1n << 64n) return n;
    }
    throw bad(path, 'an unsigned 64-bit integer (number or "0x…" string)');
  };
  const entries: E820Entry[] = list.map((raw, i) => {
    const p = `e820[${i}]`;
    if (raw === null || typeof raw !== 'object') throw bad(p, 'an object {addr, size|end, type}');
    const r = raw as Record<string, unknown>;
    const addr = num(r.addr, `${p}.addr`);
    let size: bigint;
    if (r.size !== undefined) size = num(r.size, `${p}.size`);
    else if (r.end !== undefined) size = num(r.end, `${p}.end`) - addr + 1n;
    else throw bad(p, '"size" or "end" (inclusive)');
    if (size <= 0n) throw bad(p, 'size > 0 (end >= addr)');
    if (!e820RangeFits(addr, size))
      throw bad(p, 'addr + size at most 2^64 (an entry cannot pass the end of the 64-bit address space)');
    let type: number | undefined;
    if (typeof r.type === 'number' && Number.isInteger(r.type) && r.type > 0 && r.type <= 0xffffffff)
      type = r.type;
    else if (typeof r.type === 'string') type = parseE820TypeName(r.type);
    if (type === undefined)
      throw bad(`${p}.type`, 'a type number or name ("usable", "reserved", "ACPI data", …)');
    return { addr, size, type };
  });
  const setupData: { addr: bigint; size: bigint }[] = [];
  if (obj.setupData !== undefined) {
    if (!Array.isArray(obj.setupData)) throw bad('setupData', 'an array of {addr, size}');
    obj.setupData.forEach((s, i) => {
      const r = (s ?? {}) as Record<string, unknown>;
      const addr = num(r.addr, `setupData[${i}].addr`);
      const size = num(r.size, `setupData[${i}].size`);
      if (!e820RangeFits(addr, size))
        throw bad(`setupData[${i}]`, 'addr + size at most 2^64 (the end of the 64-bit address space)');
      setupData.push({ addr, size });
    });
  }
  if (obj.cmdline !== undefined && typeof obj.cmdline !== 'string') throw bad('cmdline', 'a string');
  const result: ParsedE820 = {
    source: 'json',
    bootIndex: 0,
    origin: 'json',
    entries: sanitizeE820(entries),
    setupData,
    logEdits: [],
    complete: entries.length > 0 && entries.some((e) => e.addr < 0x100000n),
    notes: [],
  };
  if (typeof obj.cmdline === 'string') result.cmdline = obj.cmdline;
  if (entries.length === 0) throw new ParseError('E820_NOT_FOUND', 'the "e820" array is empty', { file });
  return [result];
}
