/**
 * Issue 4 acceptance: every builtin story ends the way the kernel it models
 * ends, with the kernel's own messages.
 */
import { describe, expect, it } from 'vitest';
import { withProfile } from '../../src/cli/commands/run.js';
import { modelledSuspend } from '../../src/scenario/types.js';
import { readFixtureText } from '../helpers/fixtures.js';
import { runBuiltin, text } from './helpers.js';

describe('seed-000-6.12: the e820 CRC check refuses the image before any page is written', () => {
  it('prints the 5.13+ refusal and goes on with the fresh boot', async () => {
    const r = await runBuiltin('seed-000-6.12');
    expect(r.verdict).toBe('refused');
    const con = text(r.resume!.console);
    const i = con.indexOf('Hibernate inconsistent memory map detected!');
    expect(i).toBeGreaterThan(0);
    expect(con[i + 1]).toBe('PM: hibernation: Image mismatch: architecture specific data');
    expect(con).toContain('PM: Error -1 resuming');
    expect(con).toContain('PM: hibernation: Failed to load image, recovering.');
    expect(con).toContain('PM: hibernation: resume failed (-1)');
    // No image page reached memory: not even the first meta page was consumed.
    expect(r.resume!.result.stats.loaded).toBe(0);
    expect(r.resume!.result.stats.direct + r.resume!.result.stats.viaPbe).toBe(0);
  }, 120_000);
});

describe('same-map: resumed on both profiles, every page verified, allocator state restored', () => {
  for (const profile of ['linux-3.10', 'linux-6.12']) {
    it(profile, async () => {
      const r = await runBuiltin('same-map', (sc) => withProfile(sc, profile));
      expect(r.verdict).toBe('resumed');
      const v = r.resume!.result.verify!;
      expect(v.checked).toBe(r.suspend.hibernate!.manifest.count);
      expect(v.bad).toBe(0);
      expect(r.resume!.result.silentWrites).toEqual([]);
      // Stream counts agree between writer and loader.
      const st = r.resume!.result.stats;
      expect(st.nrCopyPages).toBe(r.suspend.hibernate!.save.nrCopyPages);
      expect(st.nrZeroPages).toBe(r.suspend.hibernate!.save.nrZeroPages);
      expect(st.direct + st.viaPbe).toBe(st.nrCopyPages + st.nrZeroPages);
      // The restored kernel's page allocator is exactly as it was before hibernation.
      expect(r.suspend.mmAfter).toEqual(r.suspend.mmBefore);
      expect(text(r.restoredConsole)).toContain(
        profile === 'linux-3.10'
          ? 'PM: Image restored successfully.'
          : 'PM: hibernation: Hibernation image restored successfully.',
      );
    }, 180_000);
  }
});

describe('qemu-384m-to-512m: the same outcome as the real 6.12 kernel in the fixture logs', () => {
  it('refuses like runs/612-lzo/console-resume-mem512.log', async () => {
    const real = readFixtureText('kernel-images/runs/612-lzo/console-resume-mem512.log');
    const realLines = real
      .split(/\r?\n/)
      .map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''))
      .filter((l) =>
        /Hibernate inconsistent|Image mismatch|Error -1 resuming|Failed to load image|resume failed/.test(l),
      )
      // the init script prints dmesg again at the end: keep the first occurrence
      .filter((l, i, a) => a.indexOf(l) === i);
    expect(realLines.length).toBe(5);
    const r = await runBuiltin('qemu-384m-to-512m');
    expect(r.verdict).toBe('refused');
    const con = text(r.resume!.console);
    // Same lines, same order.
    const ours = con.filter((l) => realLines.includes(l));
    expect(ours).toEqual(realLines);
  }, 120_000);
});

describe('seed 001: a page inside a 2 MiB not-present direct-map mapping', () => {
  it('CPA split fails → the kernel warns and crashes reading the page (no image)', async () => {
    const r = await runBuiltin('seed-001');
    expect(r.verdict).toBe('hibernate-failed');
    const con = text(r.suspend.console);
    expect(con).toContain('PM: hibernation: Failed to remap page');
    expect(con.some((l) => l.startsWith('BUG: unable to handle page fault for address: ffff8880082'))).toBe(
      true,
    );
    expect(con).toContain('#PF: supervisor read access in kernel mode');
    expect(r.resume).toBeUndefined();
    expect(r.dev).toBeUndefined();
  }, 120_000);
  it('with the fixmap patch the page is saved and the resume succeeds', async () => {
    const r = await runBuiltin('seed-001-fixmap');
    expect(r.verdict).toBe('resumed');
    expect(r.resume!.result.verify!.bad).toBe(0);
  }, 120_000);
});

describe('seed 003: restore without safe temporary page tables', () => {
  it('clobbers the page tables it walks and hangs', async () => {
    const r = await runBuiltin('seed-003');
    expect(r.verdict).toBe('oops');
    expect(r.reason).toMatch(/restore_image faulted .* overwritten by image pages/);
  }, 180_000);
  it('with set_up_temporary_mappings the same resume succeeds', async () => {
    const r = await runBuiltin('seed-003-fixed');
    expect(r.verdict).toBe('resumed');
    expect(r.resume!.result.verify!.bad).toBe(0);
  }, 180_000);
});

describe('seed 004: pages loaded into their original frames vs safe pages + PBEs', () => {
  it('reports both counts, and they cover every image page', async () => {
    const r = await runBuiltin('seed-004');
    expect(r.verdict).toBe('resumed');
    const st = r.resume!.result.stats;
    expect(st.direct).toBeGreaterThan(0);
    expect(st.viaPbe).toBeGreaterThan(0);
    expect(st.direct + st.viaPbe).toBe(st.nrCopyPages + st.nrZeroPages);
    // restore_image followed restore_pblist in the boot machine's memory and
    // found exactly the PBEs get_buffer() linked there.
    expect(st.pbesCopied).toBe(st.viaPbe);
    expect(r.resume!.result.verify!.bad).toBe(0);
  }, 180_000);
});

describe('kernel options change the resume as in the kernel', () => {
  it('seed-000 with hibernate=nocompress: block I/O cannot fault — the ACPI page is overwritten silently', async () => {
    const r = await runBuiltin('seed-000', (sc) => ({
      ...sc,
      hibernate: { ...sc.hibernate, compressor: 'none' },
    }));
    expect(r.verdict).toBe('silent-corruption');
    const w = r.resume!.result.silentWrites;
    expect(w.map((x) => [x.pfn, x.how, x.e820])).toContainEqual([0xbe142, 'dma', 'ACPI data']);
    expect(text(r.resume!.console)).toContain('PM: Loading image data pages (229471 pages)...');
  }, 180_000);
});

describe('memmap= on the resume boot edits the kernel table, not the checksummed firmware table', () => {
  const reservePage = (sc: import('../../src/scenario/types.js').Scenario, profile: string) => ({
    ...withProfile(sc, profile),
    resume: { ...withProfile(sc, profile).resume, cmdline: 'memmap=4K$0xbe142000' },
  });
  it('linux-6.12: the e820 CRC still matches, but present pages dropped by one → "Image mismatch: memory size"', async () => {
    const r = await runBuiltin('same-map', (sc) => reservePage(sc, 'linux-6.12'));
    expect(r.verdict).toBe('refused');
    const con = text(r.resume!.console);
    expect(con).not.toContain('Hibernate inconsistent memory map detected!');
    expect(con).toContain('PM: hibernation: Image mismatch: memory size');
  }, 180_000);
  it('linux-3.10: max_pfn is unchanged, so a saved page that memmap= reserved is loaded into an unmapped frame → oops', async () => {
    const r = await runBuiltin('seed-000', (sc) => ({
      ...sc,
      resume: { ...sc.resume, e820: modelledSuspend(sc).e820, cmdline: 'memmap=4K$0xbe142000' },
    }));
    expect(r.verdict).toBe('oops');
    expect(r.resume!.result.oops!.address).toBe(0xffff9263fe142000n);
  }, 180_000);
});
