/**
 * `hiblab diagnose` on the command line: golden text/JSON baselines
 * (test/baselines/diagnose/), one log holding both boots, memmap=/mem= on the
 * resume command line, and the one-line errors.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBootLog } from '../../src/diagnose/index.js';
import { expectBaseline } from '../helpers/baseline.js';
import { cli } from '../helpers/cli.js';
import { fixturePath, REPO_ROOT, sharedPath, swapImagePath } from '../helpers/fixtures.js';

const seed = (name: string) => join(REPO_ROOT, 'data', 'e820', name);
const run = (r: string, name: string) => fixturePath(`kernel-images/runs/${r}/${name}.log`);
const tmp = mkdtempSync(join(tmpdir(), 'hiblab-diagnose-'));

/** Paths differ between machines: shown relative to placeholders. */
async function diag(argv: string[]) {
  const r = await cli(['diagnose', ...argv]);
  const shared = sharedPath('seeds').replace(/seeds$/, '');
  const clean = (t: string) =>
    t
      .split(shared)
      .join('<shared>/')
      .split(`${REPO_ROOT}/`)
      .join('<repo>/')
      .split(tmp)
      .join('<tmp>')
      .replace(/\S*\/([\w-]+\.swap\.img)/g, '<cache>/$1');
  return { code: r.code, out: clean(r.out), err: clean(r.err) };
}

describe('hiblab diagnose: golden output', () => {
  it('seed 000, every profile (text and JSON)', async () => {
    const a = [seed('seed-000-suspend.txt'), seed('seed-000-resume.txt'), '--profile', 'all'];
    const t = await diag(a);
    expect(t.code).toBe(1);
    expect(t.out.split('\n').slice(3, 7)).toEqual([
      'verdict:',
      '  linux-3.10: OOPS (likely): load_image_lzo writes pfn 0xbe142 (usable -> ACPI data, nosave, not direct-mapped) → page fault',
      expect.stringMatching(/^ {2}linux-6\.1: REFUSED: "Hibernate inconsistent memory map detected!"/),
      expect.stringMatching(/^ {2}linux-6\.12: REFUSED: "Hibernate inconsistent memory map detected!"/),
    ]);
    expectBaseline('diagnose', 'seed000-all.txt', t.out);
    const j = await diag([...a, '--json']);
    expectBaseline('diagnose', 'seed000-all.json', j.out);
    const parsed = JSON.parse(j.out) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([
      'suspend',
      'resume',
      'image',
      'firmwareDiff',
      'kernelDiff',
      'cases',
      'notes',
    ]);
  });

  it('Dell XPS 13: boot1 -> boot3 refused, boot1 -> boot2 accepted', async () => {
    const p = (n: string) => fixturePath(`e820-pairs/dell-xps13-7390.${n}.txt`);
    const r13 = await diag([p('boot1-bios1.4.0-5.5.8'), p('boot3-bios1.20.0-6.2.13')]);
    expect(r13.code).toBe(1);
    expectBaseline('diagnose', 'dell-boot1-boot3.txt', r13.out);
    const r12 = await diag([p('boot1-bios1.4.0-5.5.8'), p('boot2-bios1.4.0-5.5.11')]);
    expectBaseline('diagnose', 'dell-boot1-boot2.txt', r12.out);
  });

  it('612-lzo: refused at 512 MiB; the same layout with the real image resumes', async () => {
    const m = await diag([run('612-lzo', 'console-hibernate'), run('612-lzo', 'console-resume-mem512')]);
    expect(m.code).toBe(1);
    expectBaseline('diagnose', '612-lzo-mem512.txt', m.out);
    const s = await diag([
      run('612-lzo', 'console-hibernate'),
      run('612-lzo', 'console-resume-same-layout'),
      '--image',
      swapImagePath('612-lzo'),
    ]);
    expect(s.code).toBe(0);
    expectBaseline('diagnose', '612-lzo-same-layout-image.txt', s.out);
  });
});

describe('hiblab diagnose: boots, command lines, errors', () => {
  const sus = readFileSync(seed('seed-000-suspend.txt'), 'utf8');
  const res = readFileSync(seed('seed-000-resume.txt'), 'utf8');
  const version = 'Linux version 3.10.0-1160.el7.x86_64 (mockbuild@x86-vm-26.build.eng.bos.redhat.com)';
  const both = join(tmp, 'two-boots.log');
  writeFileSync(both, `${version}\n${sus}\n${version}\n${res}`);

  it('one log with both boots: the boot after the suspend boot resumes, auto picks linux-3.10', async () => {
    const r = await diag([both, '--json']);
    const j = JSON.parse(r.out) as {
      suspend: { boot: number; release: string };
      resume: { boot: number; release: string; origin: string };
      cases: { label: string; verdict: string }[];
    };
    expect([j.suspend.boot, j.resume.boot]).toEqual([0, 1]);
    expect(j.resume.origin).toBe('reserve setup_data');
    expect(j.resume.release).toBe('3.10.0-1160.el7.x86_64');
    expect(j.cases.map((c) => [c.label, c.verdict])).toEqual([['linux-3.10', 'oops']]);
    const same = await diag([both, '--boot', '0', '--resume-boot', '1', '--json']);
    expect(same.out).toBe(r.out);
  });

  it('a boot index past the end, a log with one boot and no resume log, a bad profile: one-line errors', async () => {
    const past = await diag([both, '--resume-boot', '5']);
    expect(past.code).toBe(2);
    expect(past.err).toMatch(
      /^hiblab: <tmp>\/two-boots\.log: boot 5 requested but the input has 2 boot\(s\).*\[E820_BOOT_RANGE\]\n$/,
    );
    const one = await diag([seed('seed-000-suspend.txt')]);
    expect(one.code).toBe(2);
    expect(one.err).toMatch(
      /^hiblab: <repo>\/data\/e820\/seed-000-suspend\.txt: 1 boot\(s\) with an e820 table and no boot after boot 0: .*\[DIAGNOSE_NO_RESUME_BOOT\]\n$/,
    );
    const prof = await diag([both, '--profile', 'linux-9.9']);
    expect(prof.code).toBe(2);
    expect(prof.err).toMatch(
      /--profile linux-9\.9: expected auto, all or one of linux-3\.10.*\[PROFILE_UNKNOWN\]\n$/,
    );
  });

  it('a log without e820 lines is a clear error naming the file', async () => {
    const f = join(tmp, 'no-e820.log');
    writeFileSync(
      f,
      '[    0.000000] Linux version 6.12.117\n[    2.1] PM: Image signature found, resuming\n',
    );
    const r = await diag([f, seed('seed-000-resume.txt')]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^hiblab: <tmp>\/no-e820\.log: no e820 table in this log: .*\[DIAGNOSE_NO_E820\]\n$/,
    );
    expect(r.err.split('\n')).toHaveLength(2);
  });

  it('mem= and memmap= on the resume command line: the kernel-table difference and what each kernel checks', async () => {
    const text = readFileSync(run('612-lzo', 'console-resume-same-layout'), 'utf8');
    const withOpt = (opt: string, name: string) => {
      const f = join(tmp, name);
      // Only the resume boot's own "Command line:" (the first); the restored kernel's dmesg follows later.
      writeFileSync(f, text.replace(/(Command line: [^\r\n]*)/, `$1 ${opt}`));
      return f;
    };
    const hib = run('612-lzo', 'console-hibernate');
    type J = {
      resume: { memOptions: string[]; userDefined: boolean };
      kernelDiff: { identical: boolean; pages: { startPfn: string; to: string }[] };
      cases: { verdict: string; messages: string[]; pfns: { startPfn: string; effect: string }[] }[];
    };
    const mem = JSON.parse((await diag([hib, withOpt('mem=256M', 'mem.log'), '--json'])).out) as J;
    expect(mem.resume.memOptions).toEqual(['mem=256M']);
    expect(mem.resume.userDefined).toBe(true);
    expect(mem.kernelDiff.identical).toBe(false);
    // 6.x check_header(): present pages differ.
    expect(mem.cases[0]!.verdict).toBe('refused');
    expect(mem.cases[0]!.messages[0]).toBe('PM: hibernation: Image mismatch: memory size');
    // One reserved page in the middle of RAM: 3.10 compares max_pfn only, so it loads the image
    // and meets the page it made nosave and left out of its direct map.
    const mm = JSON.parse(
      (await diag([hib, withOpt('memmap=4K$0x5000000', 'memmap.log'), '--profile', 'linux-3.10', '--json']))
        .out,
    ) as J;
    expect(mm.kernelDiff.pages).toEqual([expect.objectContaining({ startPfn: '0x5000', to: 'reserved' })]);
    expect(mm.cases[0]!.verdict).toBe('oops');
    expect(mm.cases[0]!.pfns.map((f) => [f.startPfn, f.effect])).toEqual([['0x5000', 'oops']]);
  });

  it('the failed hibernation of runs-neg is read as such', () => {
    const f = fixturePath('kernel-images/runs-neg/612-m256-enomem/console-hibernate.log');
    const b = readBootLog(new Uint8Array(readFileSync(f)), f);
    expect(b.observed?.kind).toBe('hibernate-failed');
    expect(b.observed?.detail).toMatch(/Image allocation is \d+ pages short/);
  });
});

describe('observed outcome of a resume boot', () => {
  const table = readFileSync(seed('seed-000-resume.txt'), 'utf8');
  it('a 3.10 oops: address and function from the BUG and IP lines', () => {
    const b = readBootLog(
      `${table}[   21.2] BUG: unable to handle kernel paging request at ffff9263fe142000\n[   21.2] IP: [<ffffffff8b2fe476>] load_image_lzo+0x826/0xe70\n`,
      'oops.log',
    );
    expect(b.observed).toMatchObject({
      kind: 'oops',
      address: 'ffff9263fe142000',
      function: 'load_image_lzo',
    });
  });
  it('a 6.x oops: the RIP line', () => {
    const b = readBootLog(
      `${table}[    3.1] BUG: unable to handle page fault for address: ffff888017fda000\n[    3.1] RIP: 0010:load_compressed_image+0x5d1/0xa90\n`,
      'oops.log',
    );
    expect(b.observed).toMatchObject({
      kind: 'oops',
      address: 'ffff888017fda000',
      function: 'load_compressed_image',
    });
  });
});
