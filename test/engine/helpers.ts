import type { ChunkPool } from '../../src/power/compress/pool.js';
import type { EventSink } from '../../src/power/events.js';
import { SparseMemoryDevice } from '../../src/power/image/source.js';
import { builtinReader, getBuiltin, type Scenario } from '../../src/scenario/index.js';
import { type RunResult, runScenario } from '../../src/scenario/run.js';

/** Run a builtin (optionally edited) with an in-memory sparse swap device. */
export async function runBuiltin(
  name: string,
  edit?: (sc: Scenario) => Scenario,
  pool?: ChunkPool,
  events?: EventSink,
): Promise<RunResult & { dev: SparseMemoryDevice }> {
  let sc = getBuiltin(name);
  if (edit) sc = edit(sc);
  let dev: SparseMemoryDevice | undefined;
  const r = await runScenario(
    sc,
    {
      readFile: builtinReader,
      baseDir: 'data/scenarios',
      pool,
      device: (n) => {
        dev = new SparseMemoryDevice(n);
        return dev;
      },
    },
    events,
  );
  return { ...r, dev: dev! };
}

/** Strip "[    1.234567] " timestamps. */
export function text(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^\[\s*\d+\.\d{6}\] /, ''));
}
