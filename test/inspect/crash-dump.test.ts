/**
 * `hiblab crash` end to end on a dump file: `hiblab run seed-000 --dump`
 * writes hiblab-dump v2, `hiblab crash DUMP -c …` loads it and answers as the
 * seed's crash session did.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('hiblab crash on a seed-000 dump', () => {
  it('loads the dump and runs the seed commands', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'hiblab-crash-dump-')), 'seed.dump');
    expect((await cli(['run', 'seed-000', '--dump', f, '--quiet'])).code).toBe(0);
    const r = await cli([
      'crash',
      f,
      '-c',
      "vtop 0xffff9263fe142000; p nr_copy_pages; kmem -p |grep -E ' 800000 | be142000 '; bt | grep RDI",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      '   PTE: 13fffea10 => 0\n\n      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS\n',
    );
    expect(r.out).toContain('nr_copy_pages = $1 = 229023\n');
    expect(r.out).toContain(
      'ffffe30300020000   800000                0        0  1 fffff00000000\nffffe30302f85080 be142000                0        0  1 1fffff00000000\n',
    );
    expect(r.out).toMatch(/RDI: ffff9263fe142000/);
    const bad = await cli(['crash', f, '-c', 'sym nosuch']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('sym: nosuch: symbol not found');
  }, 600_000);
});
