/**
 * hiblab diagnose against kernel facts and real logs: seed 000's two tables
 * (the RHEL 7 crash and the 6.x refusal), the Dell XPS 13 BIOS-update pair,
 * and every resume boot of the kernel-images fixtures (verdicts from the
 * fixture README's table, which records what the real kernels did), with
 * the shipped real images where there is one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, imageFacts, profileForRelease, readBootLog } from '../../src/diagnose/index.js';
import { openImageFile } from '../../src/node/image-file.js';
import { linux612, PROFILES } from '../../src/profiles/index.js';
import type { KernelProfile } from '../../src/profiles/types.js';
import type { DiagnoseReport } from '../../src/report/diagnose.js';
import { cli } from '../helpers/cli.js';
import { fixturePath, REPO_ROOT, swapImagePath } from '../helpers/fixtures.js';

const seed = (name: string) => join(REPO_ROOT, 'data', 'e820', name);
const pair = (name: string) => fixturePath(`e820-pairs/${name}`);
const log = (file: string, boot?: number) => readBootLog(new Uint8Array(readFileSync(file)), file, boot);

function caseOf(r: DiagnoseReport, resumeProfile: string) {
  const c = r.cases.find((x) => x.resumeProfile === resumeProfile);
  if (!c) throw new Error(`no case for ${resumeProfile}: ${r.cases.map((x) => x.label).join(', ')}`);
  return c;
}

/**
 * The registry for runs whose resume kernel is 6.1: the registered linux-6.1
 * profile when there is one; else a stand-in that differs from linux-6.12
 * only in the two unpack_orig_pfns() rules these runs exercise, as 6.1 has
 * them: no ENCODED_PFN_ZERO_FLAG (6.6+) and no FW_BUG line (6.2+).
 */
function with61(): readonly KernelProfile[] {
  if (PROFILES.some((p) => p.id === 'linux-6.1')) return PROFILES;
  const standIn: KernelProfile = {
    ...linux612,
    id: 'linux-6.1',
    hibernation: { ...linux612.hibernation, zeroPages: false, unpackFwBugMessage: false },
  };
  return [...PROFILES, standIn];
}

describe('seed 000: the RHEL 7 resume crash and its 6.x refusal', () => {
  const r = diagnose({
    suspend: log(seed('seed-000-suspend.txt')),
    resume: log(seed('seed-000-resume.txt')),
    profile: 'all',
  });

  it('linux-3.10: oops writing pfn 0xbe142 (usable -> ACPI data, not direct-mapped)', () => {
    const c = caseOf(r, 'linux-3.10');
    expect(c.verdict).toBe('oops');
    expect(c.checks.find((k) => k.id === 'e820-crc32')!.result).toBe('absent');
    expect(c.checks.find((k) => k.id === 'num-physpages')!.result).toBe('pass');
    const f = c.pfns.find((x) => x.effect === 'oops')!;
    expect([f.startPfn, f.endPfn]).toEqual([0xbe142, 0xbe143]);
    expect(f.suspendType).toBe('usable');
    expect(f.resumeType).toBe('ACPI data');
    expect(f.mapped).toBe(false);
    expect(f.nosave).toBe(true);
    expect(f.walk).toMatch(/PTE 0 => not mapped/);
    // Free RAM at boot, no counts in these tables: likely, and the report says how that was judged.
    expect(c.certainty).toBe('likely');
    expect(c.likelihood).toMatch(/no "pages copied" count/);
    expect(c.summary).toMatch(/load_image_lzo writes pfn 0xbe142/);
    expect(c.messages[0]).toMatch(/^BUG: unable to handle kernel paging request at ffff8800be142000$/);
  });

  it('linux-6.12: refused, inconsistent memory map', () => {
    const c = caseOf(r, 'linux-6.12');
    expect(c.verdict).toBe('refused');
    expect(c.messages).toEqual([
      'Hibernate inconsistent memory map detected!',
      'PM: hibernation: Image mismatch: architecture specific data',
      'PM: hibernation: Failed to load image, recovering.',
    ]);
    expect(c.checks.find((k) => k.id === 'num-physpages')!.result).toBe('not-reached');
  });

  it('the firmware diff names the page that changed and both CRC32s', () => {
    expect(r.firmwareDiff.crcDiffers).toBe(true);
    const moved = r.firmwareDiff.pages.map((p) => [Number(p.startPfn), Number(p.endPfn), p.from, p.to]);
    expect(moved).toEqual([
      [0xbe129, 0xbe12a, 3, 1],
      [0xbe142, 0xbe143, 1, 3],
    ]);
    expect(r.suspend.crc32).not.toBe(r.resume.crc32);
  });

  it('proposed fixes: a usable-RAM CRC refuses (RAM moved), a per-pfn check refuses only if the pfn is saved', () => {
    const c = caseOf(r, 'linux-3.10');
    expect(c.fixes.find((f) => f.id === 'usable-ram-crc32')!.decision).toBe('refuse');
    expect(c.fixes.find((f) => f.id === 'per-pfn-check')!.decision).toBe('accept-unless');
  });
});

describe('Dell XPS 13 7390 (e820-pairs)', () => {
  const b1 = pair('dell-xps13-7390.boot1-bios1.4.0-5.5.8.txt');
  it('boot1 -> boot3 (BIOS update changed the firmware map) is refused by 6.x', () => {
    for (const profile of ['auto', 'linux-6.12']) {
      const r = diagnose({
        suspend: log(b1),
        resume: log(pair('dell-xps13-7390.boot3-bios1.20.0-6.2.13.txt')),
        profile,
      });
      expect(r.cases).toHaveLength(1);
      // auto: 6.2 has no profile of its own; the nearest registered one (6.1) stands in.
      expect(r.cases[0]!.resumeProfile).toBe(profile === 'auto' ? 'linux-6.1' : 'linux-6.12');
      expect(r.cases[0]!.verdict).toBe('refused');
      expect(r.cases[0]!.messages[0]).toBe('Hibernate inconsistent memory map detected!');
    }
  });
  it('boot1 -> boot2 (same BIOS) is accepted; the moved BGRT reservation is nosave but mapped', () => {
    const r = diagnose({ suspend: log(b1), resume: log(pair('dell-xps13-7390.boot2-bios1.4.0-5.5.11.txt')) });
    const c = r.cases[0]!;
    expect(r.firmwareDiff.identical).toBe(true);
    for (const id of ['arch-header', 'e820-crc32', 'num-physpages', 'unpack-orig-pfns'])
      expect(c.checks.find((k) => k.id === id)!.result).toBe('pass');
    expect(c.verdict).not.toBe('refused');
    // 5.5 has no profile: the nearest is used and the report says so.
    expect(c.notes.join(' ')).toMatch(/no profile for Linux 5\.5 .* nearest, linux-6\.1;/);
    // Boot 2's kernel registers [mem 0x5bde1000-0x5be40fff] nosave (its own log line); pfn 0x5be40 was free RAM in boot 1.
    const f = c.pfns.find((x) => x.startPfn === 0x5be40)!;
    expect(f.effect).toBe('silent-overwrite');
    expect(f.mapped).toBe(true);
  });
});

/** Every resume boot of the kernel-images fixtures and what its real kernel did (fixture README table). */
const RUNS: [run: string, test: string, real: 'resumes' | 'refused' | 'efault'][] = [
  ['61-lzo', 'kernel-6.12', 'resumes'],
  ['61-lzo', 'mem512', 'refused'],
  ['61-lzo', 'same-layout', 'resumes'],
  ['61-nocompress', 'same-layout', 'resumes'],
  ['612-kaslr', 'same-layout', 'resumes'],
  ['612-lz4', 'same-layout', 'resumes'],
  ['612-lzo', 'kaslr-bootkernel', 'resumes'],
  ['612-lzo', 'kernel-6.1', 'efault'],
  ['612-lzo', 'mem320', 'refused'],
  ['612-lzo', 'mem512', 'refused'],
  ['612-lzo', 'q35', 'refused'],
  ['612-lzo', 'same-layout', 'resumes'],
  ['612-platform', 'same-layout', 'resumes'],
  ['tiny61-nocompress', 'same-layout', 'resumes'],
  ['tiny612-kaslr', 'same-layout', 'resumes'],
  ['tiny612-lz4', 'same-layout', 'resumes'],
  ['tiny612-lzo', 'kernel-tiny6.1', 'efault'],
  ['tiny612-lzo', 'mem512', 'refused'],
  ['tiny612-lzo', 'q35', 'refused'],
  ['tiny612-lzo', 'same-layout', 'resumes'],
  ['tiny612-nocompress', 'same-layout', 'resumes'],
  ['tiny612-platform', 'same-layout', 'resumes'],
];
const IMAGES = new Set(['612-lzo', 'tiny612-lz4', 'tiny612-lzo', 'tiny612-nocompress']);
const runLog = (run: string, name: string) => fixturePath(`kernel-images/runs/${run}/${name}.log`);
const OBSERVED = { resumes: 'restored', refused: 'refused', efault: 'failed' } as const;

describe('kernel-images fixtures: each resume boot gets the verdict its real kernel reached', () => {
  it('the table covers every resume log of the fixtures', () => {
    const dir = fixturePath('kernel-images/runs');
    const found = readdirSync(dir).flatMap((run) =>
      readdirSync(join(dir, run))
        .filter((f) => /^console-resume-.*\.log$/.test(f))
        .map((f) => `${run}/${f.slice('console-resume-'.length, -4)}`),
    );
    expect(found.sort()).toEqual(RUNS.map(([r, t]) => `${r}/${t}`).sort());
  });

  for (const [run, test, real] of RUNS) {
    it(`${run} / ${test}: ${real} (from the logs)`, () => {
      const s = log(runLog(run, 'console-hibernate'));
      const rb = log(runLog(run, `console-resume-${test}`));
      expect(rb.observed?.kind).toBe(OBSERVED[real]);
      const r = diagnose({ suspend: s, resume: rb, profiles: with61() });
      expect(r.cases).toHaveLength(1);
      const c = r.cases[0]!;
      expect(c.verdict).toBe(real);
      expect(c.certainty).toBe('certain');
      if (real === 'refused') expect(c.messages[0]).toBe('Hibernate inconsistent memory map detected!');
      if (real === 'efault') {
        expect(c.resumeProfile).toBe('linux-6.1');
        expect(c.checks.find((k) => k.id === 'zero-pfn-flag')!.result).toBe('fail');
        expect(c.messages).toContain('PM: Error -14 resuming');
      }
      expect(r.notes).toEqual([]);
    });
    if (IMAGES.has(run)) {
      it(`${run} / ${test}: ${real} (with the real image)`, () => {
        const { src, reader } = openImageFile(swapImagePath(run));
        try {
          const image = imageFacts(reader, `${run}.swap.img`);
          const r = diagnose({
            suspend: log(runLog(run, 'console-hibernate')),
            resume: log(runLog(run, `console-resume-${test}`)),
            image,
            profiles: with61(),
          });
          const c = r.cases[0]!;
          expect(c.verdict).toBe(real);
          expect(c.certainty).toBe('certain');
          // The image's own header agrees with the suspend log: same CRC32 of the firmware table.
          expect(image.e820Checksum).toBe(r.suspend.crc32);
          if (real === 'efault') expect(image.zeroCount).toBeGreaterThan(0);
        } finally {
          src.close();
        }
      });
    }
  }

  it('the CLI with the registered profiles: a 6.1 resume kernel maps to linux-6.1, or says it used the nearest', async () => {
    const res = await cli([
      'diagnose',
      runLog('612-lzo', 'console-hibernate'),
      runLog('612-lzo', 'console-resume-kernel-6.1'),
      '--json',
    ]);
    const j = JSON.parse(res.out) as { cases: { verdict: string; notes: string[] }[]; notes: string[] };
    if (PROFILES.some((p) => p.id === 'linux-6.1')) {
      expect(j.cases[0]!.verdict).toBe('efault');
      expect(res.code).toBe(1);
    } else {
      expect(j.cases[0]!.verdict).toBe('resumes');
      expect(res.code).toBe(0);
      expect(j.cases[0]!.notes.join(' ')).toMatch(/no profile for Linux 6\.1 .*nearest, linux-6\.12/);
      expect(j.notes.join(' ')).toMatch(/resume log shows failed, the linux-6\.12 prediction is resumes/);
    }
  });
});

describe('profiles: auto, all, explicit', () => {
  it('auto maps a release to its profile by major.minor, else the nearest with a note', () => {
    expect(profileForRelease('3.10.0-1160.el7.x86_64')).toEqual({
      profile: PROFILES.find((p) => p.id === 'linux-3.10'),
      note: null,
    });
    expect(profileForRelease('6.12.117+deb12-amd64').note).toBeNull();
    const p61 = profileForRelease('6.1.0-53-amd64');
    if (PROFILES.some((p) => p.id === 'linux-6.1'))
      expect(p61).toMatchObject({ profile: { id: 'linux-6.1' }, note: null });
    else expect(p61.profile.id).toBe('linux-6.12');
  });
  it('all enumerates the registered profiles', () => {
    const r = diagnose({
      suspend: log(seed('seed-000-suspend.txt')),
      resume: log(seed('seed-000-resume.txt')),
      profile: 'all',
    });
    expect(r.cases.map((c) => c.label)).toEqual(PROFILES.map((p) => p.id));
  });
});

describe('silent overwrites: frames the boot kernel maps anyway, and block I/O', () => {
  const text = (run: string, name: string) => readFileSync(runLog(run, name), 'utf8');
  /** The resume boot's own table (the first one in the log; the serial logs are CRLF) with `from` replaced. */
  const edited = (run: string, from: string, to: string): string => {
    const t = text(run, 'console-resume-same-layout').replace(/\r\n/g, '\n');
    expect(t.includes(from)).toBe(true);
    return t.replace(from, to);
  };

  it('first MiB: a low page the resume firmware reserves is direct-mapped anyway (3.10): silent overwrite', () => {
    const resume = edited(
      '612-lzo',
      '[mem 0x0000000000000000-0x000000000009fbff] usable\n',
      '[mem 0x0000000000000000-0x000000000009dfff] usable\n[    0.000000] BIOS-e820: [mem 0x000000000009e000-0x000000000009fbff] reserved\n',
    );
    const r = diagnose({
      suspend: log(runLog('612-lzo', 'console-hibernate')),
      resume: readBootLog(resume, 'resume.log'),
      profile: 'linux-3.10',
    });
    const c = r.cases[0]!;
    expect(c.verdict).toBe('silent-overwrite');
    const f = c.pfns.find((x) => x.startPfn === 0x9e)!;
    expect(f).toMatchObject({
      effect: 'silent-overwrite',
      how: 'cpu',
      mapped: true,
      nosave: true,
      resumeType: 'reserved',
    });
    expect(f.walk).toMatch(/=> 0x9e000 /);
  });

  it('nocompress: an unmapped nosave pfn is written by block I/O (DMA), not faulted on', () => {
    const resume = edited(
      'tiny612-nocompress',
      '[mem 0x0000000000100000-0x0000000017fd9fff] usable\n',
      '[mem 0x0000000000100000-0x0000000004ffffff] usable\n[    0.000000] BIOS-e820: [mem 0x0000000005000000-0x0000000005000fff] reserved\n[    0.000000] BIOS-e820: [mem 0x0000000005001000-0x0000000017fd9fff] usable\n',
    );
    const s = log(runLog('tiny612-nocompress', 'console-hibernate'));
    expect(s.counts.compressed).toBe(false);
    const r = diagnose({ suspend: s, resume: readBootLog(resume, 'resume.log'), profile: 'all' });
    const c310 = caseOf(r, 'linux-3.10');
    const f = c310.pfns.find((x) => x.startPfn === 0x5000)!;
    expect(f).toMatchObject({ effect: 'silent-overwrite', how: 'dma', mapped: false, nosave: true });
    expect(c310.verdict).toBe('silent-overwrite');
    // The same table change under 6.12: the e820 CRC32 refuses before any page is loaded.
    expect(caseOf(r, 'linux-6.12').verdict).toBe('refused');
  });
});

describe('every input shape the e820 parser takes', () => {
  /** The QEMU -m 384 pc table of the kernel-images fixtures (their README), as etc/e820 records and as JSON. */
  const TABLE: [bigint, bigint, number][] = [
    [0n, 0x9fc00n, 1],
    [0x9fc00n, 0x400n, 2],
    [0xf0000n, 0x10000n, 2],
    [0x100000n, 0x17eda000n, 1],
    [0x17fda000n, 0x26000n, 2],
    [0xfffc0000n, 0x40000n, 2],
    [0xfd00000000n, 0x300000000n, 2],
  ];
  const etcE820 = (): Uint8Array => {
    const bytes = new Uint8Array(20 * TABLE.length);
    const dv = new DataView(bytes.buffer);
    TABLE.forEach(([a, s, t], i) => {
      dv.setBigUint64(i * 20, a, true);
      dv.setBigUint64(i * 20 + 8, s, true);
      dv.setUint32(i * 20 + 16, t, true);
    });
    return bytes;
  };
  const json = JSON.stringify({
    e820: TABLE.map(([a, s, t]) => ({ addr: `0x${a.toString(16)}`, size: `0x${s.toString(16)}`, type: t })),
  });

  it('QEMU etc/e820 (binary) as the suspend boot, a serial log as the resume boot', () => {
    const s = readBootLog(etcE820(), 'etc-e820');
    expect(s.parsed.source).toBe('qemu-etc-e820');
    expect([s.release, s.hibernation.length]).toEqual([null, 0]);
    const r = diagnose({ suspend: s, resume: log(runLog('612-lzo', 'console-resume-mem512')) });
    // The CRC32 every image of these runs stores (fixture README): the binary table is the same table.
    expect(r.suspend.crc32).toBe(0xa5445455);
    expect(r.cases[0]!.notes[0]).toMatch(/suspend log has no "Linux version" line: taken as 6\.12\.117/);
    expect(r.cases[0]!.verdict).toBe('refused');
  });

  it('JSON against the binary: the same map resumes on every profile', () => {
    const r = diagnose({ suspend: readBootLog(etcE820(), 'etc-e820'), resume: readBootLog(json, 't.json') });
    expect(r.resume.source).toBe('json');
    expect(r.firmwareDiff.identical).toBe(true);
    expect(r.cases.map((c) => c.verdict)).toEqual(PROFILES.map(() => 'resumes'));
  });
});
