/**
 * Error classes. Every failure a user can cause (bad input file, hostile image,
 * impossible scenario) is a HiblabError with a stable `code` and, where known,
 * the location (file, line, column, byte offset) it refers to. The CLI prints
 * `hiblab: <where>: <message>` on one line and exits with `exitCode`.
 */

/**
 * Control characters from an input (ESC, CR, BEL, C1 controls, bidi overrides,
 * line separators) made visible: a terminal would act on them, and an error
 * stays one line. `\n`, `\r`, `\t` by name, others as `\xHH` / `\u{HHHH}`.
 */
export function escapeControls(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const n = s.charCodeAt(i);
    const control =
      n < 0x20 ||
      (n >= 0x7f && n <= 0x9f) ||
      n === 0x061c ||
      n === 0x200e ||
      n === 0x200f ||
      n === 0x2028 ||
      n === 0x2029 ||
      (n >= 0x202a && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069);
    if (!control) continue;
    const esc =
      n === 0x0a
        ? '\\n'
        : n === 0x0d
          ? '\\r'
          : n === 0x09
            ? '\\t'
            : n < 0x100
              ? `\\x${n.toString(16).padStart(2, '0')}`
              : `\\u{${n.toString(16)}}`;
    out += s.slice(from, i) + esc;
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

export interface ErrorLocation {
  /** File name as the user gave it. */
  file?: string;
  /** 1-based line number in a text input. */
  line?: number;
  /** 1-based column in a text input. */
  column?: number;
  /** Byte offset in a binary input. */
  offset?: number;
}

export class HiblabError extends Error {
  readonly code: string;
  readonly location: ErrorLocation;
  /** Process exit status the CLI uses for this error (2 = bad input/usage). */
  readonly exitCode: number;

  constructor(code: string, message: string, location: ErrorLocation = {}, exitCode = 2) {
    super(escapeControls(message));
    this.name = new.target.name;
    this.code = code;
    this.location = location;
    this.exitCode = exitCode;
  }

  /** `file:line:col` or `file@0xoffset` or `file`, or '' when nothing is known. */
  where(): string {
    const { file, line, column, offset } = this.location;
    let w = file === undefined ? '' : escapeControls(file);
    if (line !== undefined) w += `${w ? ':' : 'line '}${line}${column !== undefined ? `:${column}` : ''}`;
    if (offset !== undefined) w += `${w ? ' ' : ''}at offset 0x${offset.toString(16)}`;
    return w;
  }

  /** The one-line form the CLI prints. */
  oneLine(): string {
    const w = this.where();
    return `${w ? `${w}: ` : ''}${this.message} [${this.code}]`;
  }

  /** Same error with the file name filled in (parsers often do not know it). */
  withFile(file: string): this {
    if (this.location.file === undefined) (this.location as ErrorLocation).file = file;
    return this;
  }
}

/** Malformed or unsupported text input (dmesg, /proc/iomem, JSON, YAML). */
export class ParseError extends HiblabError {}

/** A binary structure (swap header, swap map, meta page, compressed chunk) failed validation. */
export class FormatError extends HiblabError {}

/** A scenario or option combination that cannot be modelled. */
export class ScenarioError extends HiblabError {}

/** Command-line usage error (bad flag value, missing argument, refusing to overwrite). */
export class UsageError extends HiblabError {}

/** An invariant of the model was violated: a bug in hiblab, not in the input. */
export class ModelError extends HiblabError {
  constructor(code: string, message: string) {
    super(code, message, {}, 70);
  }
}
