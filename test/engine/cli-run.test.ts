/**
 * `hiblab run` in-process: golden text (consoles + verdict), exit codes,
 * --json keys, --image / --dump files and their refusal to overwrite.
 */

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDump } from '../../src/power/dump-load.js';
import { expectBaseline } from '../helpers/baseline.js';
import { cli } from '../helpers/cli.js';

describe('hiblab run', () => {
  it('qemu-384m-to-512m: both consoles and the verdict (golden)', async () => {
    const r = await cli(['run', 'qemu-384m-to-512m']);
    expect(r.code).toBe(0);
    expectBaseline('run', 'qemu-384m-to-512m.txt', r.out);
  }, 120_000);

  it('seed-001 --json: stable keys, hibernate-failed with the oops', async () => {
    const r = await cli(['run', 'seed-001', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual([
      'scenario',
      'verdict',
      'reason',
      'plan',
      'expected',
      'suspend',
      'resume',
      'restoredConsole',
    ]);
    expect(j.verdict).toBe('hibernate-failed');
    expect(j.expected).toEqual({ outcome: 'hibernate-failed', ok: true, missing: [] });
    expect(j.resume).toBeNull();
    expect(j.suspend.oops.function).toBe('swsusp_save');
    expect(j.suspend.oops.errorCode).toBe(0);
  }, 120_000);

  it('--image and --dump write files atomically and refuse to overwrite without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hiblab-run-'));
    const img = join(dir, 'swap.img');
    const dump = join(dir, 'final.dump');
    const r = await cli(['run', 'seed-001-fixmap', '--quiet', '--image', img, '--dump', dump]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: RESUMED');
    // The kept image is as hibernation wrote it: the signature is still there.
    const info = await cli(['image', 'info', img, '--json']);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.out).swsusp.sig).toBe('S1SUSPEND\u0000');
    const d = loadDump(new Uint8Array(readFileSync(dump)), dump);
    expect([d.meta.format, d.version, d.verdict]).toEqual(['hiblab-dump', 2, 'resumed']);
    expect(d.parts.frames.length).toBeGreaterThan(0);
    expect(d.console.resume.length).toBeGreaterThan(0);
    // crash opens the file through pread (never read whole) and answers as the in-memory load does.
    const sym = d.kernelMemory.symbol('nr_copy_pages')!;
    const c = await cli(['crash', dump, '--max-mem', '16M', '-c', 'p nr_copy_pages']);
    expect(c.code).toBe(0);
    expect(c.out).toBe(`crash> p nr_copy_pages\nnr_copy_pages = $1 = ${d.kernelMemory.u32(sym.addr)}\n`);
    // No overwrite without --force; nothing else left behind.
    writeFileSync(dump, 'mine');
    const again = await cli(['run', 'seed-001-fixmap', '--quiet', '--dump', dump]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/output file exists/);
    expect(readFileSync(dump, 'utf8')).toBe('mine');
  }, 120_000);

  it('--plan: the same story and verdict, marked as a plan, the size as an estimate', async () => {
    const t = await cli(['run', 'seed-000', '--plan']);
    expect(t.code).toBe(0);
    expect(t.out).toContain('BUG: unable to handle kernel paging request');
    expect(t.out).toContain('verdict: OOPS');
    expect(t.out).toContain(
      '  plan mode: no page contents, compression or I/O; numbers marked ~ are estimates',
    );
    expect(t.out).toMatch(/chunks, ~\d+ bytes compressed \(estimate\)/);
    const j = JSON.parse((await cli(['run', 'seed-000-6.12', '--plan', '--json'])).out);
    expect([j.plan, j.verdict, j.suspend.image.estimated, j.suspend.image.crc32]).toEqual([
      true,
      'refused',
      true,
      null,
    ]);
    expect(j.suspend.console).toContainEqual(
      expect.stringMatching(/PM: Image size after compression: ~\d+ kbytes \(estimate\)$/),
    );
  }, 120_000);

  it('--plan refuses --image and --dump (no page bytes are made): one line, exit 2, no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hiblab-plan-'));
    for (const flag of ['--image', '--dump']) {
      const out = join(dir, 'out.bin');
      const r = await cli(['run', 'seed-000', '--plan', flag, out]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(new RegExp(`${flag} needs .*plan mode does not make`));
      expect(existsSync(out)).toBe(false);
    }
  });

  it('bad input: unknown builtin / missing file → one line, exit 2', async () => {
    const a = await cli(['run', 'seed-999']);
    expect(a.code).toBe(2);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    const b = await cli(['run', '/nonexistent/x.yaml']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/\/nonexistent\/x\.yaml: cannot read/);
    expect(existsSync('/nonexistent')).toBe(false);
  });
});
