/**
 * A fuzz target: one parser (or decoder) of hostile input, its seed corpus and
 * the function that feeds it one input. The contract every target is held to
 * is checked by ../lib/contract.ts, not by the target itself: the input gives a
 * result, or a HiblabError with a code and a one-line message that says where
 * (file, line/column or byte offset); never another exception (that is what the
 * CLI turns into "internal error", exit 70), within a time bound per input and
 * the process's memory bound.
 *
 * To add a target: write
 * fuzz/targets/NAME.ts exporting a FuzzTarget and add it to TARGETS in
 * fuzz/targets/index.ts. `npm test` then runs it (test/fuzz/fuzz.test.ts) and
 * `npm run fuzz -- --target NAME` runs it for as long as you like.
 */

export interface FuzzTarget {
  /** Short name for --target (kebab-case). */
  readonly name: string;
  /** What is fed to what, one line. */
  readonly description: string;
  /** Seed corpus: real inputs (fixtures, repo data) and hand-made edge cases. */
  seeds(): Uint8Array[] | Promise<Uint8Array[]>;
  /**
   * Tokens worth splicing into this format (keywords, delimiters, boundary
   * numbers). Optional; mutate.ts adds generic ones.
   */
  readonly dictionary?: readonly string[];
  /**
   * Byte offsets in seed `i` where the structure lives (header fields, map
   * entries, chunk lengths), so binary mutations hit them often. Optional.
   */
  hotOffsets?(seedIndex: number): readonly number[];
  /** Largest input the mutator builds (default 1 MiB). */
  readonly maxBytes?: number;
  /** Wall-clock bound per input in ms (default 2000; the long runner's watchdog is separate). */
  readonly timeLimitMs?: number;
  /** Must a HiblabError from this target name a file (location.file)? Default true. */
  readonly errorsNameFile?: boolean;
  /** Feed one input. Returns anything; throws what the code under test throws. */
  run(input: Uint8Array): unknown | Promise<unknown>;
}

/** The name given to inputs in errors, so the contract can check errors name it. */
export const FUZZ_FILE = 'fuzz-input';
