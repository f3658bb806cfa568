import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError, ScenarioError } from '../../src/errors.js';
import { E820_TYPE, type E820Entry, e820Crc32, ramPages } from '../../src/firmware/index.js';
import { getProfile } from '../../src/profiles/index.js';
import {
  BUILTIN_BASE_DIR,
  builtinReader,
  dirName,
  getBuiltin,
  joinPath,
  listBuiltins,
  loadScenario,
  resolveBoot,
  resolveE820,
} from '../../src/scenario/index.js';
import { fixturePath, sharedPath } from '../helpers/fixtures.js';
import { catchError, REPO, readRepo } from './helpers.js';

const typeAt = (table: readonly E820Entry[], addr: bigint): number | null =>
  table.find((e) => e.addr <= addr && addr < e.addr + e.size)?.type ?? null;

/** The data lines (no comments) of a bundled e820 file. */
const dataLines = (rel: string): string[] =>
  readRepo(rel)
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'));

const builtinIo = { readFile: builtinReader, baseDir: BUILTIN_BASE_DIR };

describe('every builtin resolves both boots', () => {
  for (const b of listBuiltins()) {
    it(b.name, () => {
      for (const which of ['suspend', 'resume'] as const) {
        const r = resolveBoot(b.scenario, which, builtinIo);
        expect(r.profile.id).toBe(b.scenario[which].profile);
        expect(r.parsed.complete).toBe(true);
        expect(r.kernel.firmware.length).toBeGreaterThan(3);
        expect(ramPages(r.kernel.kernel)).toBeGreaterThan(1000n);
        expect(r.label).toMatch(/^data:e820\/.+ boot 0$/);
      }
    });
  }
});

describe('bundled e820 data is the real data', () => {
  it('seed 000 tables are verbatim lines of the seed (journal BIOS-e820 / reserve setup_data)', () => {
    const seed = readFileSync(sharedPath('seeds/000_3abfce8d8115b358.txt'), 'utf8').split('\n');
    const suspend = dataLines('data/e820/seed-000-suspend.txt');
    const resume = dataLines('data/e820/seed-000-resume.txt');
    expect(suspend).toHaveLength(25);
    expect(resume).toHaveLength(27);
    for (const l of [...suspend, ...resume]) expect(seed).toContain(l);
    expect(suspend.every((l) => l.includes('BIOS-e820:'))).toBe(true);
    expect(resume.every((l) => l.includes('reserve setup_data:'))).toBe(true);
  });

  it('QEMU tables are lines of the fixture console logs', () => {
    for (const [rel, log] of [
      ['data/e820/qemu-pc-384m.txt', 'kernel-images/runs/612-lzo/console-hibernate.log'],
      ['data/e820/qemu-pc-512m.txt', 'kernel-images/runs/612-lzo/console-resume-mem512.log'],
    ] as const) {
      const lines = readFileSync(fixturePath(log), 'utf8').replace(/\r/g, '').split('\n');
      for (const l of dataLines(rel)) expect(lines, `${rel}: ${l}`).toContain(l);
    }
  });

  it('seed-000: pfn 0xbe142 is RAM when hibernating and ACPI data at resume (seed 000 analysis)', () => {
    const s = getBuiltin('seed-000');
    const sus = resolveBoot(s, 'suspend', builtinIo);
    const res = resolveBoot(s, 'resume', builtinIo);
    expect(typeAt(sus.kernel.firmware, 0xbe142000n)).toBe(E820_TYPE.RAM);
    expect(typeAt(res.kernel.firmware, 0xbe142000n)).toBe(E820_TYPE.ACPI);
    // ...and the ACPI data page the suspend boot had at 0xbe129 is RAM at resume.
    expect(typeAt(sus.kernel.firmware, 0xbe129000n)).toBe(E820_TYPE.ACPI);
    expect(typeAt(res.kernel.firmware, 0xbe129000n)).toBe(E820_TYPE.RAM);
    expect(e820Crc32(sus.kernel.firmware)).not.toBe(e820Crc32(res.kernel.firmware));
    // nr_meta_pages = DIV_ROUND_UP(nr_copy_pages * sizeof(long), PAGE_SIZE) = 448 (seed: crash> p nr_meta_pages),
    // and the seed's dmesg loads nr_copy_pages + nr_meta_pages = 229471 pages.
    const target = s.suspend.workload!.targetCopyPages!;
    expect(Math.ceil((target * 8) / 4096)).toBe(448);
    const seedText = readFileSync(sharedPath('seeds/000_3abfce8d8115b358.txt'), 'utf8');
    expect(seedText).toContain(`nr_copy_pages = $10 = ${target}`);
    expect(seedText).toContain(`Loading and decompressing image data (${target + 448} pages)`);
    // The resume kernel's explicit KASLR bases are the crash dump's.
    expect(s.resume.kaslr).toMatchObject({
      pageOffsetBase: '0xffff926340000000',
      vmemmapBase: '0xffffe30300000000',
    });
  });

  it('qemu-384m-to-512m: the e820 CRC32 values the fixture images store / the resume boot computes', () => {
    const s = getBuiltin('qemu-384m-to-512m');
    const sus = resolveBoot(s, 'suspend', builtinIo);
    const res = resolveBoot(s, 'resume', builtinIo);
    // kernel-images/README.md: -m 384 pc → 0xa5445455, -m 512 pc → 0x7e8c3bd0; num_physpages 98168 at -m 384.
    expect(e820Crc32(sus.kernel.firmware)).toBe(0xa5445455);
    expect(e820Crc32(res.kernel.firmware)).toBe(0x7e8c3bd0);
    expect(ramPages(sus.kernel.kernel)).toBe(98168n);
    expect(s.suspend.kaslr).toBe('off');
    expect(s.resume.kaslr).toBe('off');
  });
});

describe('resolveE820', () => {
  const profile = getProfile('linux-6.12');

  it('joins relative paths to the scenario directory and reads through the injected reader', () => {
    const file = 'data/examples/from-logs.yaml';
    const s = loadScenario(readRepo(file), file);
    const seen: string[] = [];
    const readFile = (p: string) => {
      seen.push(p);
      return readFileSync(join(REPO, p));
    };
    const r = resolveBoot(s, 'suspend', { readFile, baseDir: dirName(file) });
    expect(seen).toEqual(['data/e820/qemu-pc-384m.txt']);
    expect(e820Crc32(r.kernel.firmware)).toBe(0xa5445455);
  });

  it('inline sources pick the boot by index', () => {
    const file = 'data/examples/inline-e820.yaml';
    const s = loadScenario(readRepo(file), file);
    const io = { readFile: () => 'unused', baseDir: '' };
    const a = resolveBoot(s, 'suspend', io);
    const b = resolveBoot(s, 'resume', io);
    expect(a.label).toBe('inline boot 0');
    expect(b.label).toBe('inline boot 1');
    expect(typeAt(a.kernel.firmware, 0x20000000n)).toBe(E820_TYPE.RAM);
    expect(typeAt(b.kernel.firmware, 0x20000000n)).toBe(E820_TYPE.RESERVED);
    expect(ramPages(a.kernel.firmware) - ramPages(b.kernel.firmware)).toBe(16n);
  });

  it('applies the boot cmdline (memmap=) to the kernel table but not to the checksummed firmware table', () => {
    const src = { file: 'data:e820/qemu-pc-384m.txt', boot: 0 };
    const plain = resolveE820(src, { readFile: builtinReader, baseDir: '', profile });
    const mm = resolveE820(src, {
      readFile: builtinReader,
      baseDir: '',
      profile,
      cmdline: 'memmap=1M$0x8000000',
    });
    expect(e820Crc32(mm.kernel.firmware)).toBe(e820Crc32(plain.kernel.firmware));
    expect(typeAt(plain.kernel.kernel, 0x8000000n)).toBe(E820_TYPE.RAM);
    expect(typeAt(mm.kernel.kernel, 0x8000000n)).toBe(E820_TYPE.RESERVED);
  });

  it('errors name the scenario file and the e820 source', () => {
    const ctx = { readFile: builtinReader, baseDir: '', profile, scenarioFile: 'my.yaml', which: 'resume' };
    const range = catchError(() => resolveE820({ file: 'data:e820/qemu-pc-384m.txt', boot: 3 }, ctx));
    expect(range).toBeInstanceOf(ScenarioError);
    expect(range.code).toBe('E820_BOOT_RANGE');
    expect(range.where()).toBe('my.yaml');
    expect(range.message).toContain('resume.e820.boot');
    expect(range.message).toContain('has 1 boot(s)');

    const missing = catchError(() =>
      resolveE820(
        { file: 'logs/x.txt' },
        {
          ...ctx,
          baseDir: 'scen',
          readFile: () => {
            throw new Error('ENOENT');
          },
        },
      ),
    );
    expect(missing.code).toBe('E820_FILE_UNREADABLE');
    expect(missing.message).toContain("'scen/logs/x.txt'");
    expect(missing.where()).toBe('my.yaml');

    const unknown = catchError(() => resolveE820({ file: 'data:e820/nope.txt' }, ctx));
    expect(unknown.code).toBe('DATA_FILE_UNKNOWN');
    expect(unknown.message).toContain('resume.e820.file of my.yaml');

    const bad = catchError(() => resolveE820({ inline: 'no e820 lines here\n' }, ctx));
    expect(bad).toBeInstanceOf(ParseError);
    expect(bad.message).toContain('resume.e820 of my.yaml');
  });
});

describe('joinPath / dirName', () => {
  it('joins, collapses . and .., keeps absolute paths', () => {
    expect(joinPath('data/examples', '../e820/a.txt')).toBe('data/e820/a.txt');
    expect(joinPath('data/examples', './b/./c.txt')).toBe('data/examples/b/c.txt');
    expect(joinPath('/x/y', '/abs.txt')).toBe('/abs.txt');
    expect(joinPath('', 'a.txt')).toBe('a.txt');
    expect(joinPath('.', 'a.txt')).toBe('a.txt');
    expect(joinPath('a', '../../b')).toBe('../b');
    expect(joinPath('/a', '../../b')).toBe('/b');
    expect(dirName('x/y/z.yaml')).toBe('x/y');
    expect(dirName('z.yaml')).toBe('');
    expect(dirName('/z.yaml')).toBe('/');
  });
});
