/**
 * V8 tuning for the process (worker threads share V8's flags): TurboFan's
 * cumulative inlining budget per optimised function, V8's default 920 bytes
 * of bytecode, is set to 300. The model's hot paths are big functions over
 * many small helpers (bitmaps, buddy, page stores, loaders), and TurboFan
 * recompiles each of them, with all it inlines, once per process on V8's
 * helper threads: that was ~0.4 s of CPU in a 4 GiB engine bench's image write
 * and ~0.7 s in its load, on a machine whose 2 cores the workers already
 * fill. With 300 those threads spend about a third less, and the main thread
 * is no slower (bench/README.md, engine). Calls of small functions (V8's
 * max-inlined-bytecode-size-small) are inlined whatever the budget.
 * HIBLAB_V8_DEFAULTS=1 keeps V8's own value (for A/B measurements).
 */
import { setFlagsFromString } from 'node:v8';

/** Bytecode bytes TurboFan may inline into one optimised function. */
export const INLINE_BUDGET = 300;

if (process.env.HIBLAB_V8_DEFAULTS !== '1')
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINE_BUDGET}`);
