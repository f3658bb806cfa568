/**
 * V8 tuning for the process (worker threads share V8's flags): how much of
 * the model's code TurboFan compiles. The hot paths are big functions over
 * many small helpers (bitmaps, buddy, page stores, loaders) that run for a
 * phase and are done, and TurboFan compiled each of them, with all it
 * inlined, on V8's helper threads: ~0.4 s of CPU in a 4 GiB engine bench's
 * image write and ~0.7 s in its load (perf), on a machine whose 2 cores the
 * compression workers already fill. Two flags, measured on the engine bench and
 * `hiblab run same-map` (bench/README.md, engine, session 10):
 *  - the cumulative inlining budget per optimised function, V8's default 920
 *    bytes of bytecode, is 300 (calls of small functions,
 *    max-inlined-bytecode-size-small, are inlined whatever the budget);
 *  - the interrupt budget (execution between tiering checks), V8's default
 *    67584, is 4× that: a function tiers up after running 4× longer, so code
 *    that is hot only briefly is not compiled by TurboFan at all.
 * Same results, less compiler CPU; the main thread about as fast (the
 * interrupt budget costs it a few per cent of a phase, 8× cost more).
 * HIBLAB_V8_DEFAULTS=1 keeps V8's own values (for A/B measurements).
 */
import { setFlagsFromString } from 'node:v8';

/** Bytecode bytes TurboFan may inline into one optimised function. */
export const INLINE_BUDGET = 300;
/** V8's interrupt budget (its default 67584, times 4). */
export const INTERRUPT_BUDGET = 4 * 67584;

if (process.env.HIBLAB_V8_DEFAULTS !== '1') {
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINE_BUDGET}`);
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
