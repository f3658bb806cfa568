import { describe, expect, it } from 'vitest';
import { BUILTIN_NAMES } from '../../src/scenario/index.js';
import { cli } from '../helpers/cli.js';
import { baseline, readRepo } from './helpers.js';

const run = cli;

describe('hiblab scenarios', () => {
  it('lists the builtins (golden)', async () => {
    const r = await run(['scenarios']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(baseline('scenarios.txt', r.out));
    // one row per builtin, in order, with the profile and outcome their YAML declares
    const rows = r.out.split('\n').slice(1, 1 + BUILTIN_NAMES.length);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual([...BUILTIN_NAMES]);
    expect(rows[0]).toMatch(/^seed-000\s+linux-3\.10\s+oops\s+\S/);
    expect(rows.find((l) => l.startsWith('qemu-384m-to-512m'))).toMatch(/linux-6\.12\s+refused/);
  });

  it('list --json has stable keys and matches the YAML files', async () => {
    for (const args of [
      ['scenarios', '--json'],
      ['scenarios', 'list', '--json'],
    ]) {
      const r = await run(args);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out) as { scenarios: Record<string, unknown>[] };
      expect(j.scenarios.map((s) => s.name)).toEqual([...BUILTIN_NAMES]);
      for (const s of j.scenarios) {
        expect(Object.keys(s)).toEqual(['name', 'profile', 'expect', 'description', 'file']);
        const yaml = readRepo(s.file as string);
        expect(yaml).toContain(`name: ${s.name}\n`);
        expect(yaml).toContain(`profile: ${s.profile}\n`);
        expect(yaml).toMatch(new RegExp(`outcome: ${s.expect}\\n`));
      }
    }
  });

  it('show prints the YAML file verbatim; --json adds the loaded scenario', async () => {
    const r = await run(['scenarios', 'show', 'seed-000']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readRepo('data/scenarios/seed-000.yaml'));
    const j = JSON.parse((await run(['scenarios', 'show', 'seed-001', '--json'])).out);
    expect(Object.keys(j)).toEqual(['name', 'file', 'yaml', 'scenario']);
    expect(j.yaml).toBe(readRepo('data/scenarios/seed-001.yaml'));
    expect(j.scenario.faults).toEqual({
      cpaSplitFails: true,
      unmapPagesAtSave: [{ pfn: 0x8234, pages: 1, huge: true }],
    });
  });

  it('show of an unknown name fails with one line and a hint', async () => {
    const r = await run(['scenarios', 'show', 'seed-0000']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^hiblab: no builtin scenario 'seed-0000' \(did you mean 'seed-000'\?\).*\[SCENARIO_UNKNOWN_BUILTIN\]\n$/,
    );
  });

  it('check validates a YAML file and reads its e820 sources relative to it', async () => {
    const r = await run(['scenarios', 'check', 'data/examples/from-logs.yaml']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain("scenario 'my-vm-same-map' is valid");
    expect(r.out).toContain('data/e820/qemu-pc-384m.txt boot 0');
    expect(r.out).toContain('e820 CRC32 0xa5445455');
    const j = JSON.parse((await run(['scenarios', 'check', 'qemu-384m-to-512m', '--json'])).out);
    expect(j.valid).toBe(true);
    expect(j.boots.suspend.crc32).toBe('0xa5445455');
    expect(j.boots.resume.crc32).toBe('0x7e8c3bd0');
  });

  it('check reports a broken file as one line with file:line:column', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'hiblab-scen-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(
      f,
      'name: t\nprofile: linux-6.12\nsuspend:\n  e820: { file: a.log }\nresume:\n  e820: { fiel: b.log }\n',
    );
    const r = await run(['scenarios', 'check', f]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `hiblab: ${f}:6:11: resume.e820: unknown key 'fiel' (did you mean 'file'?); expected one of: file, boot, inline [SCENARIO_UNKNOWN_KEY]\n`,
    );
  });
});
