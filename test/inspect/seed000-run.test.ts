/**
 * Acceptance on the model: seed 000's crash session re-enacted on the
 * machine `hiblab run seed-000` ends with (the resume kernel that oopsed in
 * load_image_lzo), read through the live KernelMemory. It must tell the
 * seed's story; the whole transcript is pinned in a golden file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InspectSession } from '../../src/inspect/session.js';
import type { RunResult } from '../../src/scenario/run.js';
import { runBuiltin } from '../engine/helpers.js';
import { expectBaseline } from '../helpers/baseline.js';
import { runTarget } from './run-target.js';
import { type Step, seed000Story, storyText } from './seed000-story.js';

const out = (steps: Step[], cmd: string | RegExp): string[] => {
  const s = steps.find((x) => (typeof cmd === 'string' ? x.cmd === cmd : cmd.test(x.cmd)));
  if (!s) throw new Error(`no step ${cmd}`);
  return s.lines;
};

describe('seed-000 on the model: the transcript tells the same story', () => {
  let r: RunResult;
  let steps: Step[];
  beforeAll(async () => {
    r = await runBuiltin('seed-000');
    steps = seed000Story(new InspectSession(runTarget(r, 'seed-000')));
  }, 600_000);

  it('bt: the exception in load_image_lzo with RDI = 0xffff9263fe142000, down to system_call_fastpath', () => {
    const bt = out(steps, 'bt');
    expect(bt.join('\n')).toMatch(/\[exception RIP: load_image_lzo\+\d+\]/);
    expect(bt.join('\n')).toContain('RDI: ffff9263fe142000');
    expect(bt[bt.length - 1]).toMatch(/system_call_fastpath at ffffffff8b/);
  });
  it('vtop 0xffff9263fe142000 ends in a PTE of 0, header be142000, page line', () => {
    const v = out(steps, 'vtop 0xffff9263fe142000');
    expect(v.slice(0, 2)).toEqual(['VIRTUAL           PHYSICAL', 'ffff9263fe142000  be142000']);
    expect(v.find((l) => l.startsWith('   PTE:'))).toMatch(/=> 0$/);
    expect(v[v.length - 1]).toMatch(/^ffffe30302f85080 be142000 +0 +0 +1 1fffff00000000$/);
  });
  it('orig_bm.cur.block covers pfn 0xbe142 and start_pfn+bit-1 evaluates to it', () => {
    const b = out(steps, 'p *(orig_bm.cur.block)').join('\n');
    const start = BigInt(/start_pfn = (\d+)/.exec(b)![1]!);
    const end = BigInt(/end_pfn = (\d+)/.exec(b)![1]!);
    expect(start <= 0xbe142n && 0xbe142n < end).toBe(true);
    expect(out(steps, 'p orig_bm.cur.block.start_pfn+orig_bm.cur.bit-1')).toEqual(['$3 = 778562']);
  });
  it('nr_copy_pages = 229023, nr_meta_pages = 448; eval 778562*4096 = be142000 (3114248KB)', () => {
    expect(out(steps, 'p nr_copy_pages')[0]).toMatch(/^nr_copy_pages = \$\d+ = 229023$/);
    expect(out(steps, 'p nr_meta_pages')[0]).toMatch(/^nr_meta_pages = \$\d+ = 448$/);
    expect(out(steps, 'eval 778562*4096')[0]).toBe('hexadecimal: be142000  (3114248KB)');
  });
  it('the nosave list holds the 12 regions', () => {
    const l = out(steps, /^list nosave_region.list/);
    expect(l.filter((x) => /^[0-9a-f]{16}$/.test(x))).toHaveLength(12);
    expect(l).toContain('  start_pfn = 0xbe142');
  });
  it('the three zones print the seed values', () => {
    const z = steps.filter((s) => s.cmd.startsWith('struct zone.')).map((s) => s.lines);
    expect(z[0]).toEqual(['  zone_start_pfn = 0x1', '  spanned_pages = 0xfff', '  present_pages = 0xea6']);
    expect(z[1]!.slice(0, 3)).toEqual([
      '  zone_start_pfn = 0x1000',
      '  spanned_pages = 0xff000',
      '  present_pages = 0xbe75e',
    ]);
    expect(z[1]![3]).toBe('  name = 0xffffffff8bc8e57a "DMA32"');
    expect(z[2]).toEqual([
      '  zone_start_pfn = 0x100000',
      '  spanned_pages = 0x40000',
      '  present_pages = 0x40000',
    ]);
  });
  it("kmem -p of 0xbe142's page shows PHYSICAL be142000; the bit is set in the forbidden and free bitmaps", () => {
    expect(out(steps, /^kmem -p ffffe30302f85080/)[1]).toMatch(/^ffffe30302f85080 be142000 /);
    const bytes = steps.filter((s) => /^x\/1xb /.test(s.cmd)).slice(0, 2);
    expect(bytes).toHaveLength(2);
    for (const b of bytes) {
      const v = Number.parseInt(/:\t0x([0-9a-f]{2})$/.exec(b.lines[0]!)![1]!, 16);
      expect(v & (1 << Number((0xbe142n - 0xb8001n) % 8n))).not.toBe(0);
    }
  });
  it('every command runs; the whole session is pinned', () => {
    expect(steps.filter((s) => s.error).map((s) => `${s.cmd}: ${s.error}`)).toEqual([]);
    expectBaseline('crash', 'seed-000.txt', storyText(steps));
  });
});
