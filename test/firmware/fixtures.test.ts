/**
 * Every real e820 fixture parses; entry counts were checked independently with
 * `grep -E 'BIOS-e820: (\[mem|[0-9a-f]{16})' | sort -u | wc -l`, and the
 * oddities the READMEs / SOURCES.md describe are asserted entry by entry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../src/errors.js';
import {
  buildKernelE820,
  E820_TYPE,
  type E820Entry,
  e820Crc32,
  parseE820,
} from '../../src/firmware/index.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import { fixturePath, sharedPath } from '../helpers/fixtures.js';

const load = (rel: string) => parseE820(new Uint8Array(readFileSync(fixturePath(rel))), rel);
const find = (es: E820Entry[], addr: bigint) => es.find((e) => e.addr === addr);

const COUNTS: Record<string, number> = {
  'abit-ic7-pentium4-i686-pae-legacy-award-3.5g.txt': 7,
  'amd-volcano-epyc-genoa-768g-uefi-type20-64tib-reserved.txt': 38,
  'asrockrack-romed8-2t-epyc-rome-128g-uefi-high-reserved.txt': 24,
  'asus-esc8000-g4-dual-xeon-scalable-256g-numa-legacy.txt': 16,
  'asus-z10pe-d16-ws-dual-xeon-uefi-16g-memoryless-node1.txt': 13,
  'asus-zen-aio-m5401wua-amd-renoir-uefi-16g-type20.txt': 27,
  'aws-nitro-r5d-xlarge-32g.txt': 9,
  'aws-xen-hvm-4.11-amazon-t2-4g.txt': 6,
  'azure-hyperv-gen1-codespaces-epyc-8g.txt': 7,
  'beelink-ser8-amd-uefi-22g-newformat-7.0-gaps.txt': 21,
  'chromebook-google-akemi-mrchromebox-coreboot-edk2-uefi-4g.txt': 21,
  'chromebook-google-atlas-mrchromebox-uefi-chromium-4.4-8g.txt': 15,
  'dell-poweredge-1950-xeon5160-legacy-8g-mtrr-trim.txt': 8,
  'dell-poweredge-2850-legacy-bios-2.6.32-16g.txt': 16,
  'framework-laptop-11th-gen-insyde-uefi-16g.txt': 17,
  'framework-laptop-12th-gen-insyde-uefi-secureboot-32g-unlisted-gaps.txt': 17,
  'gce-n1-seabios-8g-syzbot-callerid-prefix.txt': 7,
  'hp-superdome2-16s-12tib-uefi-unusable-efimap.txt': 38,
  'hyperv-gen2-uefi-1.5g-journalctl-prefix.txt': 12,
  'ibm-thinkpad-t40-2.6.15-mm1-1g-unlisted-gap-after-nvs.txt': 8,
  'intel-s5000psl-xeon-server-i686-pae-8g-highmem.txt': 14,
  'intel-xeon-server-193g-cloudlab-memmap-16G-at-4G-pmem-type12-user-map.txt': 14,
  'lenovo-thinkpad-edge-12983pg-sandybridge-legacy-4g-3.14-rosa.txt': 17,
  'lenovo-thinkpad13-gen2-kabylake-lenovo-uefi-16g-type20.txt': 17,
  'nvidia-athlon64-x2-2.6.18-rc7-2g-nvs-before-acpi-data-hardwrapped.txt': 8,
  'openstack-nova-kvm-seabios-8g-centos7-3.10-crashkernel.txt': 8,
  'qemu-i440fx-seabios-1.12-4g-rhel-3.10style.txt': 8,
  'qemu-i440fx-seabios-1.7.5-320m-i686.txt': 7,
  'qemu-i440fx-seabios-2g-i386-pae-4.19-hardwrapped.txt': 7,
  'qemu-i440fx-seabios-i386-pae-7g-above-4g-ignored.txt': 9,
  'qemu-q35-seabios-128g-amd-1tib-hole-rhel7.txt': 11,
  'supermicro-h11ssl-nc-epyc-rome-192g-uefi-reserved-above-1tib.txt': 25,
  'supermicro-h8qg6-4socket-opteron-192g-8numa-legacy-type9-gaps.txt': 12,
  'ubuntu-2.6.15-i386-1g-odd-timestamps-17179569.txt': 10,
  'via-mvp3-amd-k6-2.4.9-64m-minimal.txt': 5,
  'virtualbox-6g-amd-fx-mailwrapped.txt': 9,
  'vmware-workstation-440bx-8g-indented.txt': 12,
  'xen-hvm-4.16-acpi-nvs-4g-hardwrapped.txt': 8,
  'xen-hvm-4.17-1g-acpi-nvs.txt': 7,
  // e820-pairs
  'apple-macbookpro11-1-same-firmware-map.boot-a.txt': 22,
  'apple-macbookpro11-1-same-firmware-map.boot-b.txt': 22,
  'dell-xps13-7390.boot1-bios1.4.0-5.5.8.txt': 13,
  'dell-xps13-7390.boot2-bios1.4.0-5.5.11.txt': 13,
  'dell-xps13-7390.boot3-bios1.20.0-6.2.13.txt': 13,
  'lenovo-thinkpad13-gen2-bios-update.boot-a-R0JET44W.txt': 17,
  'lenovo-thinkpad13-gen2-bios-update.boot-b-R0JET48W.txt': 17,
};
const TRUNCATED = 'qemu-q35-ovmf-1g-journalctl-truncated-lines.txt';

describe('e820 fixtures: every file parses with the expected entry count', () => {
  for (const dir of ['e820', 'e820-pairs']) {
    const files = readdirSync(join(fixturePath(dir))).filter((f) => f.endsWith('.txt'));
    it(`${dir}/ has no file without an expectation`, () => {
      for (const f of files) expect(f === TRUNCATED || f in COUNTS, f).toBe(true);
    });
    for (const f of files) {
      if (f === TRUNCATED) continue;
      it(`${dir}/${f}`, () => {
        const boots = load(`${dir}/${f}`);
        expect(boots).toHaveLength(1);
        const b = boots[0]!;
        expect(b.entries).toHaveLength(COUNTS[f]!);
        expect(b.complete).toBe(true);
        expect(b.entries[0]!.addr).toBe(0n);
        // Sorted, non-overlapping: the firmware table is sanitized.
        for (let i = 1; i < b.entries.length; i++) {
          const p = b.entries[i - 1]!;
          expect(p.addr + p.size <= b.entries[i]!.addr).toBe(true);
        }
      });
    }
  }

  it('journalctl lines cut at the terminal width are rejected with file:line:column', () => {
    try {
      load(`e820/${TRUNCATED}`);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      const pe = e as ParseError;
      expect(pe.code).toBe('E820_TRUNCATED_LINE');
      expect(pe.location.line).toBe(3);
      expect(pe.location.column).toBe(73); // the '>' where the end address was cut
      expect(pe.oneLine()).toContain(`${TRUNCATED}:3:73`);
    }
  });
});

describe('e820 fixture oddities', () => {
  it('2.6.32 print format: exclusive end, ACPI data ends mid-page', () => {
    const [b] = load('e820/dell-poweredge-2850-legacy-bios-2.6.32-16g.txt');
    expect(find(b!.entries, 0xdffc0000n)).toEqual({ addr: 0xdffc0000n, size: 0xfc00n, type: E820_TYPE.ACPI });
    expect(find(b!.entries, 0n)).toEqual({ addr: 0n, size: 0xa0000n, type: E820_TYPE.RAM });
    // "e820 update range: … (usable) ==> (reserved)" old-style edit lines.
    expect(
      b!.logEdits.some((e) => e.kind === 'update' && e.addr === 0xe0000000n && e.size === 0x20000000n),
    ).toBe(true);
  });

  it('hard-wrapped type words ("ACPI" / "NVS" on the next line)', () => {
    const [b] = load('e820/xen-hvm-4.16-acpi-nvs-4g-hardwrapped.txt');
    expect(find(b!.entries, 0xfc000000n)).toEqual({ addr: 0xfc000000n, size: 0xb000n, type: E820_TYPE.NVS });
    expect(find(b!.entries, 0xeffff000n)!.type).toBe(E820_TYPE.RESERVED);
  });

  it('unknown firmware type 9 kept as type 9', () => {
    const [b] = load('e820/supermicro-h8qg6-4socket-opteron-192g-8numa-legacy-type9-gaps.txt');
    expect(find(b!.entries, 0xb7e6e000n)).toEqual({ addr: 0xb7e6e000n, size: 0x2000n, type: 9 });
  });

  it('type 20 (AMI EFI runtime) kept as type 20', () => {
    const [b] = load('e820/lenovo-thinkpad13-gen2-kabylake-lenovo-uefi-16g-type20.txt');
    expect(find(b!.entries, 0xd9593000n)).toEqual({ addr: 0xd9593000n, size: 0xc0000n, type: 20 });
  });

  it('v7.0 names "System RAM" / "device reserved", [gap …] lines skipped, edits in new names', () => {
    const [b] = load('e820/beelink-ser8-amd-uefi-22g-newformat-7.0-gaps.txt');
    expect(b!.entries[0]).toEqual({ addr: 0n, size: 0xa0000n, type: E820_TYPE.RAM });
    expect(find(b!.entries, 0xa0000n)!.type).toBe(E820_TYPE.RESERVED);
    expect(find(b!.entries, 0x55f340000n)).toEqual({
      addr: 0x55f340000n,
      size: 0x6801fffffn - 0x55f340000n + 1n,
      type: 2,
    });
    expect(b!.logEdits.some((e) => e.kind === 'remove' && e.fromType === E820_TYPE.RESERVED)).toBe(true);
  });

  it('odd timestamps, caller ids, journal prefixes, indentation, unlisted gaps', () => {
    expect(load('e820/ubuntu-2.6.15-i386-1g-odd-timestamps-17179569.txt')[0]!.entries[2]).toEqual({
      addr: 0xdc000n,
      size: 0x24000n,
      type: 2,
    });
    expect(load('e820/gce-n1-seabios-8g-syzbot-callerid-prefix.txt')[0]!.entries[6]).toEqual({
      addr: 0x100000000n,
      size: 0x140000000n,
      type: 1,
    });
    const hv = load('e820/hyperv-gen2-uefi-1.5g-journalctl-prefix.txt')[0]!;
    expect(find(hv.entries, 0x5ed1d000n)).toEqual({ addr: 0x5ed1d000n, size: 0x1000n, type: E820_TYPE.ACPI });
    expect(load('e820/vmware-workstation-440bx-8g-indented.txt')[0]!.entries[0]!.size).toBe(0x9e800n);
    const t40 = load('e820/ibm-thinkpad-t40-2.6.15-mm1-1g-unlisted-gap-after-nvs.txt')[0]!;
    const nvs = find(t40.entries, 0x3ff67000n)!;
    expect(nvs.type).toBe(E820_TYPE.NVS);
    expect(nvs.addr + nvs.size).toBe(0x3ff79000n); // then a 28 KiB hole to 0x3ff80000
    expect(find(t40.entries, 0x3ff80000n)!.type).toBe(E820_TYPE.RESERVED);
  });

  it('cloudlab memmap=16G!4G: firmware table kept, user: table recorded, and the model reproduces the user: lines', () => {
    const rel = 'e820/intel-xeon-server-193g-cloudlab-memmap-16G-at-4G-pmem-type12-user-map.txt';
    const [b] = load(rel);
    expect(b!.origin).toBe('BIOS-e820');
    expect(find(b!.entries, 0x100000000n)).toEqual({ addr: 0x100000000n, size: 0x2f40000000n, type: 1 });
    expect(find(b!.userTable!, 0x100000000n)!.type).toBe(E820_TYPE.PRAM);
    // Oracle: the kernel's own "user:" lines in the fixture.
    const expected = readFileSync(fixturePath(rel), 'utf8')
      .split('\n')
      .filter((l) => l.includes('] user: [mem'))
      .map((l) => l.replace(/^\[[^\]]*\]\s*/, ''));
    const k = buildKernelE820(b!, linux612, 'memmap=16G!4G');
    expect(k.log.filter((l) => l.startsWith('user: '))).toEqual(expected);
    expect(k.userDefined).toBe(true);
    expect(e820Crc32(k.firmware)).toBe(e820Crc32(b!.entries));
  });

  it('setup_data from "usable ==> usable" lines (printed twice) and from split pieces agree', () => {
    const [a] = load('e820-pairs/apple-macbookpro11-1-same-firmware-map.boot-a.txt');
    expect(a!.setupData).toEqual([
      { addr: 0x891e1190n, size: 0x10040n },
      { addr: 0x891e0810n, size: 0x4a5n },
    ]);
    // Only the "reserve setup_data:" lines: the firmware table is rebuilt and equals the BIOS-e820 table.
    const text = readFileSync(
      fixturePath('e820-pairs/apple-macbookpro11-1-same-firmware-map.boot-a.txt'),
      'utf8',
    );
    const only = text
      .split('\n')
      .filter((l) => l.includes('reserve setup_data:'))
      .join('\n');
    const [r] = parseE820(only, 'apple-setup-data-only');
    expect(r!.origin).toBe('reserve setup_data');
    expect(r!.entries).toEqual(a!.entries);
    expect(r!.setupData).toEqual([
      { addr: 0x891e0810n, size: 0x4a5n },
      { addr: 0x891e1190n, size: 0x10040n },
    ]);
    const z = load('e820/asus-z10pe-d16-ws-dual-xeon-uefi-16g-memoryless-node1.txt')[0]!;
    expect(z.setupData).toHaveLength(3); // each printed twice in the log
  });

  it('fragments parse as partial tables with their exotic types', () => {
    const frag = (f: string) => load(`e820-fragments/${f}`)[0]!;
    const cxl = frag('amd-cxl-two-expanders-soft-reserved-split-by-1tib-hole.txt');
    expect(cxl.complete).toBe(false);
    expect(cxl.entries.map((e) => e.type)).toEqual([E820_TYPE.SOFT_RESERVED, 2, E820_TYPE.SOFT_RESERVED]);
    expect(frag('native-nvdimm-persistent-type7-126g.txt').entries).toEqual([
      { addr: 0x880000000n, size: 0x2800000000n - 0x880000000n, type: 7 },
    ]);
    const optane = frag('optane-host-nv4-user-map-persistent-type7-756g-comment-prefixed.txt');
    expect(optane.origin).toBe('user');
    expect(optane.entries[0]!.type).toBe(7);
    const mm = frag('memmap-pmem-plus-efi_fake_mem-spm-setup-data-interleaved.txt');
    expect(mm.entries.map((e) => e.type)).toEqual([12, E820_TYPE.SOFT_RESERVED, 12, E820_TYPE.SOFT_RESERVED]);
    expect(frag('physical-cxl-512g-soft-reserved-no-timestamp.txt').entries[0]!.addr).toBe(0x2070000000n);
    expect(frag('qemu-cxl-cfmws-soft-reserved-journal-callerid-prefix.txt').entries[0]!.addr).toBe(
      0xa90000000n,
    );
  });
});

describe('hibernation e820 CRC32 (compute_e820_crc32)', () => {
  const runsDir = fixturePath('kernel-images/runs');
  const EXPECT: Record<string, number> = {
    '384 pc': 0xa5445455,
    '512 pc': 0x7e8c3bd0,
    '320 pc': 0x2518e0b7,
    '384 q35': 0x2270d2e6,
  };
  const logs: string[] = [];
  for (const r of readdirSync(runsDir))
    for (const f of readdirSync(join(runsDir, r))) if (f.endsWith('.log')) logs.push(`${r}/${f}`);
  it('there are console logs to check', () => expect(logs.length).toBeGreaterThan(30));
  for (const l of logs) {
    it(`${l}`, () => {
      const cmd = readFileSync(join(runsDir, `${l}.cmd`), 'utf8');
      const m = /'-m' '(\d+)'/.exec(cmd)![1];
      const machine = /'-machine' '(\w+)'/.exec(cmd)![1];
      const boots = load(`kernel-images/runs/${l}`);
      expect(boots).toHaveLength(1); // the appended `dmesg | grep e820` repeat is not a second boot
      expect(e820Crc32(boots[0]!.entries)).toBe(EXPECT[`${m} ${machine}`]);
      expect(boots[0]!.cmdline).toContain('resume=/dev/vda');
    });
  }

  it('same-machine pairs: the README verdicts', () => {
    const crc = (f: string) => e820Crc32(load(`e820-pairs/${f}`)[0]!.entries);
    const d1 = crc('dell-xps13-7390.boot1-bios1.4.0-5.5.8.txt');
    expect(crc('dell-xps13-7390.boot2-bios1.4.0-5.5.11.txt')).toBe(d1);
    expect(crc('dell-xps13-7390.boot3-bios1.20.0-6.2.13.txt')).not.toBe(d1);
    expect(crc('apple-macbookpro11-1-same-firmware-map.boot-a.txt')).toBe(
      crc('apple-macbookpro11-1-same-firmware-map.boot-b.txt'),
    );
    expect(crc('lenovo-thinkpad13-gen2-bios-update.boot-a-R0JET44W.txt')).toBe(
      crc('lenovo-thinkpad13-gen2-bios-update.boot-b-R0JET48W.txt'),
    );
  });
});

describe('seed 000: two boots in one crash write-up', () => {
  const seed = () =>
    parseE820(new Uint8Array(readFileSync(sharedPath('seeds/000_3abfce8d8115b358.txt'))), 'seed000');
  it('resume boot (reserve setup_data lines) is rebuilt; suspend boot (journal lines) read as is', () => {
    const [resume, suspend] = seed();
    expect(resume!.origin).toBe('reserve setup_data');
    expect(find(resume!.entries, 0x900000n)).toEqual({
      addr: 0x900000n,
      size: 0xbe142000n - 0x900000n,
      type: 1,
    });
    expect(resume!.setupData).toEqual([{ addr: 0xbd85d018n, size: 0x9a40n }]);
    expect(find(resume!.entries, 0xbe142000n)!.type).toBe(E820_TYPE.ACPI);
    expect(suspend!.origin).toBe('BIOS-e820');
    expect(suspend!.entries).toHaveLength(25);
    expect(find(suspend!.entries, 0xbe129000n)).toEqual({
      addr: 0xbe129000n,
      size: 0x1000n,
      type: E820_TYPE.ACPI,
    });
    expect(find(suspend!.entries, 0xbe142000n)).toBeUndefined();
  });

  it('3.10 setup_data edit reproduces the seed\'s own "reserve setup_data:" lines', () => {
    const [resume] = seed();
    const text = readFileSync(sharedPath('seeds/000_3abfce8d8115b358.txt'), 'utf8');
    const expected = text
      .split('\n')
      .filter((l) => l.includes('] reserve setup_data: [mem'))
      .map((l) => l.replace(/^\[[^\]]*\]\s*/, ''));
    expect(expected.length).toBe(27);
    const k = buildKernelE820(resume!, linux310);
    expect(k.log.filter((l) => l.startsWith('reserve setup_data: '))).toEqual(expected);
    expect(k.kernel.some((e) => e.type === E820_TYPE.RESERVED_KERN && e.addr === 0xbd85d018n)).toBe(true);
    // 6.12: no table change, the range is handed to memblock_reserve.
    const k6 = buildKernelE820(resume!, linux612);
    expect(k6.kernel.some((e) => e.type === E820_TYPE.RESERVED_KERN)).toBe(false);
    expect(k6.setupData).toEqual([{ addr: 0xbd85d018n, size: 0x9a40n }]);
  });
});

describe('CI / test-lab console prefixes', () => {
  it('"1839 17:54:41.406548  <6>[    0.000000] BIOS-e820: …" parses like a plain dmesg', () => {
    const plain = [
      '[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable',
      '[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x0000000017fd9fff] usable',
      '[    0.000000] BIOS-e820: [mem 0x0000000017fda000-0x0000000017ffffff] reserved',
    ];
    const lab = plain.map((l, i) => `${1839 + i} 17:54:41.40654${i}  <6>${l}`);
    const a = parseE820(plain.join('\n'), 'plain')[0]!;
    const b = parseE820(lab.join('\n'), 'lab')[0]!;
    expect(b.entries).toEqual(a.entries);
    expect(b.entries).toHaveLength(3);
    // A wall-clock time alone, and a line number only before a time.
    const t = parseE820(plain.map((l) => `17:54:41 ${l}`).join('\n'), 't')[0]!;
    expect(t.entries).toEqual(a.entries);
  });
});
