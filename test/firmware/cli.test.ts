/** `hiblab e820 show|diff` end to end, in-process, against golden baselines and fixture facts. */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { fixturePath, sharedPath } from '../helpers/fixtures.js';
import { expectBaseline } from './baseline.js';

async function run(argv: string[]): Promise<{ rc: number; out: string; err: string }> {
  const { code: rc, out, err } = await cli(argv);
  // Paths differ between machines: show them relative to the shared directory.
  const shared = sharedPath('seeds').replace(/seeds$/, '');
  return { rc, out: out.split(shared).join('<shared>/'), err };
}

describe('hiblab e820 diff', () => {
  const seed = () => sharedPath('seeds/000_3abfce8d8115b358.txt');
  it('seed 000: suspend boot (1) vs resume boot (0), text', async () => {
    const r = await run(['e820', 'diff', seed(), seed(), '--boot-a', '1', '--boot-b', '0']);
    expect(r.rc).toBe(1);
    expect(r.out).toContain('pfn 0xbe129 (1 page): ACPI data -> usable');
    expect(r.out).toContain('pfn 0xbe142 (1 page): usable -> ACPI data');
    expectBaseline('seed000-diff.txt', r.out);
  });
  it('seed 000 --json', async () => {
    const r = await run(['e820', 'diff', seed(), seed(), '--boot-a', '1', '--boot-b', '0', '--json']);
    expect(r.rc).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.pages).toEqual([
      { startPfn: '0xbe129', endPfn: '0xbe12a', pages: 1, from: 'ACPI data', to: 'usable' },
      { startPfn: '0xbe142', endPfn: '0xbe143', pages: 1, from: 'usable', to: 'ACPI data' },
    ]);
    expect(j.crcDiffers).toBe(true);
    expect(j.a.ramPages).toBe(j.b.ramPages);
    expectBaseline('seed000-diff.json', r.out);
  });
  it('identical firmware tables exit 0 (Dell boot1/boot2), BIOS update exits 1 (boot1/boot3)', async () => {
    const d = (n: string) => fixturePath(`e820-pairs/dell-xps13-7390.${n}`);
    const same = await run(['e820', 'diff', d('boot1-bios1.4.0-5.5.8.txt'), d('boot2-bios1.4.0-5.5.11.txt')]);
    expect(same.rc).toBe(0);
    expect(same.out).toContain('equal: the e820 check passes');
    const upd = await run(['e820', 'diff', d('boot1-bios1.4.0-5.5.8.txt'), d('boot3-bios1.20.0-6.2.13.txt')]);
    expect(upd.rc).toBe(1);
    expect(upd.out).toContain('DIFFER');
    // README: usable below 4 GiB shrinks by 0xc3000 bytes = 195 pages.
    const j = JSON.parse(
      (
        await run([
          'e820',
          'diff',
          d('boot1-bios1.4.0-5.5.8.txt'),
          d('boot3-bios1.20.0-6.2.13.txt'),
          '--json',
        ])
      ).out,
    );
    expect(j.a.ramPages - j.b.ramPages).toBe(0xc3000 / 4096);
  });
  it('--boot out of range is a usage error', async () => {
    const r = await run(['e820', 'diff', seed(), seed(), '--boot-a', '5', '--boot-b', '0']);
    expect(r.rc).toBe(2);
    expect(r.err).toContain('E820_BOOT_RANGE');
  });
});

describe('hiblab e820 show', () => {
  it('QEMU q35 console log, linux-6.12, text + json', async () => {
    const f = fixturePath('kernel-images/runs/612-lzo/console-resume-q35.log');
    const r = await run(['e820', 'show', f]);
    expect(r.rc).toBe(0);
    expect(r.out).toContain('CRC32 0x2270d2e6');
    expectBaseline('show-612-q35.txt', r.out);
    const j = JSON.parse((await run(['e820', 'show', f, '--json'])).out);
    expect(j.crc32).toBe('0x2270d2e6');
    expect(j.firmware).toHaveLength(9);
    expect(j.kernel[0]).toMatchObject({ addr: '0x0', end: '0xfff', typeName: 'reserved' });
  });
  it('seed 000 resume boot under linux-3.10 with a memmap option', async () => {
    const r = await run([
      'e820',
      'show',
      sharedPath('seeds/000_3abfce8d8115b358.txt'),
      '--profile',
      'linux-3.10',
      '--cmdline',
      'memmap=1M$0x10000000',
    ]);
    expect(r.rc).toBe(0);
    expect(r.out).toContain('reserve setup_data: [mem 0x00000000bd85d018-0x00000000bd866a57] usable');
    expect(r.out).toContain('user-defined physical RAM map:');
    expectBaseline('show-seed000-boot0-310.txt', r.out);
  });
});
