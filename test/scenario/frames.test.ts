import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import { SparseMemoryDevice } from '../../src/power/image/source.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/run.js';
import { catchError } from './helpers.js';

const yaml = (group: string) => `
name: t
seed: 1
profile: linux-3.10
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  workload:
    groups:
      - ${group}
resume:
  e820: { file: "data:e820/seed-000-resume.txt" }
`;

describe('workload group frames', () => {
  it('parses pfns and inclusive ranges and counts the pages', () => {
    const sc = loadScenario(
      yaml(`{ kind: anon, frames: ["0xbe100-0xbe1e7", "0x1000", "4096-4097"] }`),
      't.yaml',
    );
    const g = sc.suspend.workload!.groups[0]!;
    expect(g.frames).toEqual([
      { start: 0xbe100, end: 0xbe1e8 },
      { start: 0x1000, end: 0x1001 },
      { start: 4096, end: 4098 },
    ]);
    expect(g.pages).toBe(0xe8 + 1 + 2);
  });
  it('rejects frames combined with a size, and bad ranges, naming the line', () => {
    const e1 = catchError(() => loadScenario(yaml(`{ kind: anon, size: 4M, frames: ["0x10"] }`), 't.yaml'));
    expect(e1.code).toBe('SCENARIO_CONFLICT');
    expect(e1.location.line).toBe(9);
    const e2 = catchError(() => loadScenario(yaml(`{ kind: anon, frames: ["0x20-0x10"] }`), 't.yaml'));
    expect(e2.code).toBe('SCENARIO_RANGE');
    const e3 = catchError(() => loadScenario(yaml(`{ kind: anon, frames: ["lots"] }`), 't.yaml'));
    expect(e3.code).toBe('SCENARIO_VALUE');
  });
});

describe('pinned frames that are not free (issue 10: no longer dropped silently)', () => {
  const run = async (groups: string, profile = 'linux-3.10', cmdline = 'resume=/dev/vda') => {
    const sc = loadScenario(
      `
name: t
seed: 1
profile: ${profile}
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  cmdline: ${cmdline}
  workload:
    groups:
${groups}
resume:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  cmdline: ${cmdline}
`,
      't.yaml',
    );
    return runScenario(sc, {
      readFile: (p) => readFileSync(p, 'utf8'),
      baseDir: '.',
      device: (n) => new SparseMemoryDevice(n),
    });
  };
  it('a frame an earlier group holds: the error names the frame and that group', async () => {
    const e = await run(
      `      - { kind: anon, name: first, frames: ["0x100000-0x10000f"] }\n      - { kind: slab, name: second, frames: ["0x100008"] }`,
    ).catch((x) => x);
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e.code).toBe('WORKLOAD_FRAME_BUSY');
    expect(e.message).toContain('frame 0x100008');
    expect(e.message).toContain('workload group "first"');
  });
  it('the nokaslr kernel image at 16 MiB: memblock-reserved at boot', async () => {
    const e = await run(
      `      - { kind: anon, frames: ["0x1000-0x1003"] }`,
      'linux-6.12',
      'resume=/dev/vda nokaslr',
    ).catch((x) => x);
    expect(e.code).toBe('WORKLOAD_FRAME_BUSY');
    expect(e.message).toMatch(/frame 0x1000 is not free at boot \(memblock-reserved/);
    expect(e.message).toContain('4 of its pinned RAM frames are not');
  });
  it('a range over a firmware hole pins the free RAM frames around it (seed 000 pins 0xbe100-0xbe1e7 across ACPI data)', async () => {
    const r = await run(`      - { kind: anon, frames: ["0xbe100-0xbe1e7"] }`);
    expect(r.verdict).toBe('resumed');
  });
});
