/**
 * parseE820(): one entry point for every e820 input, format auto-detected:
 *   bytes with NUL bytes, size a multiple of 20, plausible records → QEMU etc/e820
 *   text starting with '{' (or a '[' that parses as JSON)          → JSON
 *   text whose first line is "start-end : name"                    → /proc/iomem
 *   anything else                                                  → kernel log text
 */
import { ParseError } from '../errors.js';
import { looksLikeQemuE820, parseQemuE820 } from './e820-binary.js';
import { parseE820Text } from './e820-dmesg.js';
import { looksLikeIomem, parseIomem } from './e820-iomem.js';
import { parseE820Json } from './e820-json.js';
import { E820_MAX_INPUT_BYTES } from './e820-limits.js';
import type { ParsedE820 } from './e820-types.js';

/** Offset of the first invalid UTF-8 sequence (lead byte / continuation check), or -1. */
function firstBadUtf8(b: Uint8Array): number {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return -1;
  } catch {
    // find where: fall through to the scan
  }
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return 0; // overlong / surrogate forms the decoder rejected: report the start
}

function lineColAt(b: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset; i++) {
    if (b[i] === 0x0a) {
      line++;
      col = 1;
    } else if ((b[i]! & 0xc0) !== 0x80) col++;
  }
  return { line, column: col };
}

/** Parse any supported e820 input; one result per boot found. `file` names the input in errors. */
export function parseE820(input: Uint8Array | string, file: string): ParsedE820[] {
  let text: string;
  if (typeof input === 'string') {
    if (input.length > E820_MAX_INPUT_BYTES) {
      throw new ParseError('E820_INPUT_TOO_LARGE', `input larger than ${E820_MAX_INPUT_BYTES} bytes`, {
        file,
      });
    }
    text = input;
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      const before = text.slice(0, nul);
      const line = before.split('\n').length;
      throw new ParseError('E820_BINARY_INPUT', 'binary data (NUL byte) in a text input', {
        file,
        line,
        column: nul - before.lastIndexOf('\n'),
      });
    }
  } else {
    if (input.length > E820_MAX_INPUT_BYTES) {
      throw new ParseError(
        'E820_INPUT_TOO_LARGE',
        `input is ${input.length} bytes, more than ${E820_MAX_INPUT_BYTES}`,
        { file },
      );
    }
    if (input.length === 0)
      throw new ParseError('E820_EMPTY', 'empty file: expected an e820 table', { file });
    const nul = input.indexOf(0);
    if (nul >= 0) {
      if (looksLikeQemuE820(input)) return parseQemuE820(input, file);
      throw new ParseError(
        'E820_BINARY_INPUT',
        `binary data (NUL byte) and not a QEMU etc/e820 file (${input.length % 20 === 0 ? 'implausible records' : `size ${input.length} is not a multiple of 20`})`,
        { file, ...lineColAt(input, nul), offset: nul },
      );
    }
    const bad = firstBadUtf8(input);
    if (bad >= 0) {
      throw new ParseError('E820_BAD_UTF8', 'invalid UTF-8 in a text input (binary junk?)', {
        file,
        ...lineColAt(input, bad),
      });
    }
    text = new TextDecoder('utf-8').decode(input);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed === '') throw new ParseError('E820_EMPTY', 'empty file: expected an e820 table', { file });
  if (trimmed.startsWith('{')) return parseE820Json(text, file);
  if (trimmed.startsWith('[')) {
    let isJson = true;
    try {
      JSON.parse(text);
    } catch {
      isJson = false;
    }
    if (isJson) return parseE820Json(text, file);
  }
  if (looksLikeIomem(text)) return parseIomem(text, file);
  return parseE820Text(text, file);
}

/** One boot's table picked out of an input, and how many boots the input holds. */
export interface PickedBoot {
  parsed: ParsedE820;
  /** Index of the picked boot (0-based, parse order). */
  index: number;
  /** Boots with an e820 table in the input. */
  boots: number;
}

/**
 * parseE820 + pick boot N: the one way every command and the scenario
 * resolver choose a boot out of a multi-boot log. Default: the first boot.
 * An index past the end is E820_BOOT_RANGE naming how many boots there are.
 */
export function parseE820Boot(input: Uint8Array | string, file: string, boot?: number): PickedBoot {
  const all = parseE820(input, file);
  const index = boot ?? 0;
  const parsed = all[index];
  if (!parsed) {
    throw new ParseError(
      'E820_BOOT_RANGE',
      `boot ${index} requested but the input has ${all.length} boot(s) with an e820 table (0…${all.length - 1})`,
      { file },
    );
  }
  return { parsed, index, boots: all.length };
}
