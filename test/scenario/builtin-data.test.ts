import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_FILES } from '../../src/scenario/builtin-data.js';
import { BUILTIN_NAMES, builtinReader, dataKey } from '../../src/scenario/index.js';
import { DATA_DIR, GENERATED, readDataFiles, renderBuiltinData } from './builtin-data-gen.js';
import { catchError } from './helpers.js';

describe('bundled data (src/scenario/builtin-data.ts)', () => {
  it('equals the files under data/ (regenerate with UPDATE_BUILTINS=1)', () => {
    const files = readDataFiles();
    if (process.env.UPDATE_BUILTINS === '1') writeFileSync(GENERATED, renderBuiltinData(files));
    expect(Object.keys(BUILTIN_FILES).sort()).toEqual(Object.keys(files).sort());
    for (const [k, v] of Object.entries(files)) expect(BUILTIN_FILES[k], k).toBe(v);
  });

  it('BUILTIN_NAMES are exactly the YAML files in data/scenarios', () => {
    const onDisk = readdirSync(join(DATA_DIR, 'scenarios'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''))
      .sort();
    expect([...BUILTIN_NAMES].sort()).toEqual(onDisk);
  });

  it('keeps the names the brief fixes (public interface)', () => {
    for (const n of [
      'seed-000',
      'seed-000-6.12',
      'same-map',
      'qemu-384m-to-512m',
      'seed-001',
      'seed-001-fixmap',
      'seed-003',
      'seed-003-fixed',
      'seed-004',
    ]) {
      expect(BUILTIN_NAMES).toContain(n);
    }
  });

  it('builtinReader reads data: paths in every spelling and rejects unknown ones with a hint', () => {
    const want = readDataFiles()['e820/seed-000-suspend.txt'];
    expect(builtinReader('data:e820/seed-000-suspend.txt')).toBe(want);
    expect(builtinReader('data/e820/seed-000-suspend.txt')).toBe(want);
    expect(dataKey('data:./e820/x.txt')).toBe('e820/x.txt');
    const e = catchError(() => builtinReader('data:e820/seed-000-suspnd.txt'));
    expect(e.code).toBe('DATA_FILE_UNKNOWN');
    expect(e.message).toContain("did you mean 'data:e820/seed-000-suspend.txt'");
  });
});
