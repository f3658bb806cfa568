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
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTty: Boolean(process.stdout.isTTY),
    exitCode: 0,
  };
}

export { toJson } from '../report/json.js';
