/**
 * Issue 4 acceptance, seed 000: the RHEL 7.9 resume crash reproduced from
 * the post-mortem's own numbers (../shared/seeds/000_*.txt).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { symbolPhys } from '../../src/machine/symbols.js';
import type { EngineEvent } from '../../src/power/events.js';
import { getBuiltin } from '../../src/scenario/index.js';
import type { RunResult } from '../../src/scenario/run.js';
import { consoleOf, expectNested, phaseTrail, progressOf } from './event-checks.js';
import { runBuiltin, text } from './helpers.js';

let r: RunResult;
const ev: EngineEvent[] = [];
beforeAll(async () => {
  r = await runBuiltin('seed-000', undefined, undefined, (e) => ev.push(e));
}, 300_000);

describe('seed-000 (linux-3.10)', () => {
  it('hibernates with the seed dump counters: nr_copy_pages 229023, nr_meta_pages 448', () => {
    const h = r.suspend.hibernate!;
    expect(h.save.nrCopyPages).toBe(229023);
    expect(h.save.nrMetaPages).toBe(448);
    expect(h.save.nrZeroPages).toBe(0);
  });

  it("prints the seed's loader lines", () => {
    const con = text(r.resume!.console);
    expect(con).toContain('PM: Using 1 thread(s) for decompression.');
    expect(con).toContain('PM: Loading and decompressing image data (229471 pages)...');
    expect(con.filter((l) => l.startsWith('PM: Image loading progress:')).length).toBeGreaterThan(3);
  });

  it('oopses while loading pfn 0xbe142, as in the crash dump', () => {
    expect(r.verdict).toBe('oops');
    const o = r.resume!.result.oops!;
    expect(o.address).toBe(0xffff9263fe142000n);
    expect(o.regs.rdi).toBe(0xffff9263fe142000n);
    expect(o.regs.rdx).toBe(0x1000n);
    expect(o.func).toBe('load_image_lzo');
    // The writer of /sys/power/resume is the scenario's (comm and pid are inputs, not checked here).
    expect(o.comm).toBe(getBuiltin('seed-000').resume.resumeTrigger?.process);
    // The seed's registers the model computes: RBX = nr_pages and R12 = the page's offset in
    // its chunk (loop counters); RSI = data[0].unc + off, where data is the loader's second
    // vmalloc (after page[]: 64 KiB + guard) and unc is at offsetof(struct dec_data, unc). The
    // inputs are vmalloc_base and the bytes in use before the loader (profile, from R15).
    expect(o.regs.rbx).toBe(0x21c6bn);
    expect(o.regs.r12).toBe(0xb000n);
    expect(o.regs.rsi).toBe(0xffffb3f1c0a07058n);
    expect(o.regs.r11).toBe(0xffffb3f1c0a1c058n);
    // exception RIP load_image_lzo+2086 = ffffffff8b2fe476
    expect(o.rip).toBe(0xffffffff8b2fe476n);
    // The walk: PGD 1fe74067 → PUD 13ffff067 → PMD 13fffe067 → PTE 0.
    expect(o.walk.steps.map((s) => s.value)).toEqual([0x1fe74067n, 0x13ffff067n, 0x13fffe067n, 0n]);
    expect(o.walk.steps.map((s) => s.entryAddr)).toEqual([
      0x1fe10000 + 0x124 * 8,
      0x1fe74c78,
      0x13fffff80,
      0x13fffea10,
    ]);
  });

  it('prints the oops with the call trace swsusp_read ← software_resume ← resume_store ← … ← sys_write', () => {
    const con = text(r.resume!.console);
    expect(con).toContain('BUG: unable to handle kernel paging request at ffff9263fe142000');
    expect(con.some((l) => /RIP: 0010:\[<ffffffff8b2fe476>\].*load_image_lzo\+0x826/.test(l))).toBe(true);
    expect(con.some((l) => l.includes('RDX: 0000000000001000') && l.includes('RDI: ffff9263fe142000'))).toBe(
      true,
    );
    expect(con.some((l) => l.includes('Comm: dracut-pre-moun'))).toBe(true);
    const trace = con
      .slice(con.indexOf('Call Trace:') + 1)
      .filter((l) => l.startsWith(' [<'))
      .map((l) => l.replace(/^ \[<[0-9a-f]+>\] /, '').replace(/\+.*/, ''));
    expect(trace.slice(0, 3)).toEqual(['swsusp_read', 'software_resume', 'resume_store']);
    expect(trace).toContain('kobj_attr_store');
    expect(trace).toContain('SyS_write');
    expect(trace.at(-1)).toBe('system_call_fastpath');
    expect(con).toContain('Kernel panic - not syncing: Fatal exception');
  });

  it('dies between 50% and 70% of the load (the seed: after the 60% line)', () => {
    const con = text(r.resume!.console);
    const progress = con.filter((l) => l.startsWith('PM: Image loading progress:'));
    const last = Number(/(\d+)%/.exec(progress.at(-1)!)![1]);
    expect(last).toBeGreaterThanOrEqual(50);
    expect(last).toBeLessThanOrEqual(70);
    // Nothing after the oops: no "Image loading done".
    expect(con.some((l) => l.startsWith('PM: Image loading done'))).toBe(false);
  });

  it('keeps struct snapshot_handle {cur = 138349, buffer = 0xffff9263fe142000} where R13 points', () => {
    const m = r.resume!.machine;
    const o = r.resume!.result.oops!;
    const h = Number(o.regs.r13 - m.kaslr.pageOffsetBase);
    expect(m.mem.u32(h)).toBe(138349);
    expect(m.mem.u64(h + 8)).toBe(0xffff9263fe142000n);
    expect(m.mem.u32(h + 16)).toBe(0);
  });

  it('leaves the bitmaps as the dump shows them: orig_bm/forbidden cur.bit 24898, free bit of 0xbe142 set', () => {
    const rs = r.resume!.result.restore!;
    const s = rs.s;
    expect(s.isForbidden(0xbe142)).toBe(true);
    expect(s.isFree(0xbe142)).toBe(true);
    const m = r.resume!.machine;
    // orig_bm is the kernel global; its cur (bm_position) after get_buffer(0xbe142).
    const orig = symbolPhys(m, 'orig_bm');
    expect(m.mem.u32(orig + 32)).toBe(24898);
    const block = Number(m.mem.u64(orig + 24) - m.kaslr.pageOffsetBase);
    expect(m.mem.u64(block + 16)).toBe(0xb8001n);
    expect(m.mem.u64(block + 24)).toBe(0xc0001n);
  });

  it('emits the loader oops as an event and ends load-image early, without restore', () => {
    expectNested(ev);
    expect(phaseTrail(ev).slice(-4)).toEqual(['+resume', '+load-image', '-load-image', '-resume']);
    expect(ev.filter((e) => e.type === 'oops')).toEqual([
      { type: 'oops', boot: 'resume', oops: r.resume!.result.oops },
    ]);
    const l = progressOf(ev, 'load-image');
    const st = r.resume!.result.stats;
    // Stopped where the loader stopped: short of the total, never past the pages it stored.
    expect(l.at(-1)!.done).toBeLessThan(st.streamPages);
    expect(l.at(-1)!.done).toBeLessThanOrEqual(st.loaded);
    expect(consoleOf(ev, 'resume')).toEqual(r.resume!.console);
    expect(ev.filter((e) => e.type === 'verdict')).toEqual([
      { type: 'verdict', verdict: 'oops', reason: r.reason },
    ]);
  });
});
