/**
 * Issue 4 acceptance: the same scenario and seed give byte-identical image
 * files and consoles — also when compression runs in worker threads.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { runBuiltin } from './helpers.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const pool = new NodeChunkPool({ threads: 2 });
const pool1 = new NodeChunkPool({ threads: 1 });
afterAll(() => Promise.all([pool.close(), pool1.close()]));

describe('determinism', () => {
  it('seed-001-fixmap twice (in-thread codec, then 2 worker threads): same image bytes, same consoles', async () => {
    const a = await runBuiltin('seed-001-fixmap');
    const b = await runBuiltin('seed-001-fixmap', undefined, pool);
    expect(a.verdict).toBe('resumed');
    expect(b.verdict).toBe('resumed');
    expect(a.dev.size).toBe(b.dev.size);
    expect(sha(a.dev.readAt(0, a.dev.size))).toBe(sha(b.dev.readAt(0, b.dev.size)));
    expect(b.suspend.console).toEqual(a.suspend.console);
    expect(b.resume!.console).toEqual(a.resume!.console);
    expect(b.restoredConsole).toEqual(a.restoredConsole);
  }, 180_000);

  it('seed-000 with 0, 1 and 2 workers (pages generated in the workers from descriptors): same image bytes, consoles, oops', async () => {
    const runs = [
      await runBuiltin('seed-000'),
      await runBuiltin('seed-000', undefined, pool1),
      await runBuiltin('seed-000', undefined, pool),
    ];
    const img = runs.map((r) => sha(r.dev.readAt(0, r.dev.size)));
    expect(runs[0]!.verdict).toBe('oops');
    for (const r of runs.slice(1)) {
      expect(r.verdict).toBe(runs[0]!.verdict);
      expect(r.suspend.console).toEqual(runs[0]!.suspend.console);
      expect(r.resume!.console).toEqual(runs[0]!.resume!.console);
    }
    expect(img[1]).toBe(img[0]);
    expect(img[2]).toBe(img[0]);
  }, 240_000);

  it('a different scenario seed gives a different image', async () => {
    const a = await runBuiltin('seed-001-fixmap');
    const c = await runBuiltin('seed-001-fixmap', (sc) => ({
      ...sc,
      seed: sc.seed + 1,
      suspend: {
        ...sc.suspend,
        workload: sc.suspend.workload && {
          ...sc.suspend.workload,
          seed: (sc.suspend.workload.seed ?? 0) + 1,
        },
      },
    }));
    expect(sha(a.dev.readAt(0, a.dev.size))).not.toBe(sha(c.dev.readAt(0, Math.min(a.dev.size, c.dev.size))));
  }, 180_000);
});
