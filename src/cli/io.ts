/**
 * What a CLI command may touch. Commands write through `out`/`err` (so tests
 * capture them) and set `exitCode` for verdicts; errors are thrown.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (progress bars, colour). */
  isTty: boolean;
  /** Exit status the command wants when it returns normally (verdicts such as "image corrupt"). */
  exitCode: number;
}

export function processIo(): CliIo {
  return {
    out: (t) => writeChunked(process.stdout, t),
    err: (t) => process.stderr.write(t),
    isTty: Boolean(process.stdout.isTTY),
    exitCode: 0,
  };
}

/**
 * A 60 MB report (the JSON of a 100k-entry e820 table) written as one string
 * is copied whole into one Buffer; in 1 MiB slices it costs 1 MiB at a time.
 * stdout to a file or pipe is synchronous on Linux, so order is kept.
 */
function writeChunked(w: NodeJS.WriteStream, t: string): void {
  const CHUNK = 1 << 20;
  if (t.length <= CHUNK) {
    w.write(t);
    return;
  }
  let i = 0;
  while (i < t.length) {
    let e = Math.min(t.length, i + CHUNK);
    // Never split a surrogate pair between two writes.
    const c = t.charCodeAt(e - 1);
    if (e < t.length && c >= 0xd800 && c <= 0xdbff) e--;
    w.write(t.slice(i, e));
    i = e;
  }
}

export { toJson } from '../report/json.js';
