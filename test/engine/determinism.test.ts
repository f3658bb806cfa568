/**
 * Issue 4 acceptance: the same scenario and seed give byte-identical image
 * files and consoles — also when compression runs in worker threads, which
 * generate the pages they compress and check the pages they decompress.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { modelledSuspend } from '../../src/scenario/types.js';
import { runBuiltin } from './helpers.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const pool = new NodeChunkPool({ threads: 2 });
const pool1 = new NodeChunkPool({ threads: 1 });
afterAll(() => Promise.all([pool.close(), pool1.close()]));

describe('determinism', () => {
  it('seed-001-fixmap with 0, 1 and 2 worker threads (pages generated and checked in the workers): same image bytes, same consoles', async () => {
    const a = await runBuiltin('seed-001-fixmap');
    expect(a.verdict).toBe('resumed');
    for (const p of [pool1, pool]) {
      const b = await runBuiltin('seed-001-fixmap', undefined, p);
      expect(b.verdict).toBe('resumed');
      expect(b.resume!.result.verify!.bad).toBe(0);
      expect(b.resume!.result.verify!.checked).toBe(a.resume!.result.verify!.checked);
      expect(b.dev.size).toBe(a.dev.size);
      expect(sha(b.dev.readAt(0, b.dev.size))).toBe(sha(a.dev.readAt(0, a.dev.size)));
      expect(b.suspend.console).toEqual(a.suspend.console);
      expect(b.resume!.console).toEqual(a.resume!.console);
      expect(b.restoredConsole).toEqual(a.restoredConsole);
    }
  }, 600_000);

  it('seed-000 in-thread and with 2 workers: same image bytes, consoles and oops (the loader faults at the same page)', async () => {
    const a = await runBuiltin('seed-000');
    const b = await runBuiltin('seed-000', undefined, pool);
    expect(a.verdict).toBe('oops');
    expect(b.verdict).toBe('oops');
    expect(sha(b.dev.readAt(0, b.dev.size))).toBe(sha(a.dev.readAt(0, a.dev.size)));
    expect(b.suspend.console).toEqual(a.suspend.console);
    expect(b.resume!.console).toEqual(a.resume!.console);
    expect(b.resume!.result.stats.loaded).toBe(a.resume!.result.stats.loaded);
  }, 600_000);

  it('a different scenario seed gives a different image', async () => {
    const a = await runBuiltin('seed-001-fixmap');
    const c = await runBuiltin('seed-001-fixmap', (sc) => {
      const s = modelledSuspend(sc);
      return {
        ...sc,
        seed: sc.seed + 1,
        suspend: { ...s, workload: s.workload && { ...s.workload, seed: (s.workload.seed ?? 0) + 1 } },
      };
    });
    expect(sha(a.dev.readAt(0, a.dev.size))).not.toBe(sha(c.dev.readAt(0, Math.min(a.dev.size, c.dev.size))));
  }, 180_000);
});
