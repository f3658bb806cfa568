import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
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
