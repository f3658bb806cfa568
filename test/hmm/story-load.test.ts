/**
 * The `hmm:` scenario keys (src/scenario/load-hmm.ts): defaults, and one-line
 * ScenarioErrors that name file:line:column and the key path.
 */
import { describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';
import { catchError } from '../scenario/helpers.js';

/** A valid story; tests replace lines in it (line numbers in the comments). */
const LINES = [
  'name: t', //                                              1
  'profile: linux-6.12', //                                  2
  'suspend:', //                                             3
  '  e820: { file: a.log }', //                              4
  'hmm:', //                                                 5
  '  processes:', //                                         6
  '    - name: app', //                                      7
  '      mappings: [ { name: buf, size: 8K } ]', //          8
  '  steps:', //                                             9
  '    - { write: buf, u32: 0x66616365 }', //                10
  '    - { migrate: buf, to: device }', //                   11
  '    - { pagemap: buf, page: 1 }', //                      12
  '    - { read: buf }', //                                  13
];

const load = (lines: string[]): Scenario => loadScenario(lines.join('\n'), 's.yaml');
const edit = (n: number, text: string): string[] => LINES.map((l, i) => (i === n - 1 ? text : l));
function err(lines: string[]) {
  const e = catchError(() => load(lines));
  return { code: e.code, where: e.where(), msg: e.message };
}

describe('scenario hmm: keys', () => {
  it('loads a story and fills the defaults; the resume boot is the suspend boot again', () => {
    const s = load(LINES);
    expect(s.hmm!.driver).toEqual({
      faultOwner: 'device',
      migrateOwner: 'device',
      deviceMemory: 'rpage',
      freeze: 'none',
    });
    expect(s.hmm!.processes).toEqual([
      { name: 'app', capSysAdmin: false, mappings: [{ name: 'buf', size: 8192, prot: 'rw' }] },
    ]);
    expect(s.hmm!.steps).toEqual([
      { action: 'write', process: 0, mapping: 'buf', offset: 0, u32: 0x66616365 },
      { action: 'migrate', process: 0, mapping: 'buf', to: 'device', device: 0 },
      { action: 'pagemap', process: 0, mapping: 'buf', page: 1 },
      { action: 'read', process: 0, mapping: 'buf' },
    ]);
    expect(s.resume.e820).toEqual(s.suspend.e820);
    expect(s.resume.resumeTrigger).toEqual({ via: 'initcall' });
  });

  it('sizes round up to pages; a hibernate step is a mapping or null', () => {
    const s = load([
      ...edit(8, '      mappings: [ { name: buf, size: 5000 } ]'),
      '    - hibernate:',
      'resume:',
      '  e820: { file: b.log }',
    ]);
    expect(s.hmm!.processes[0]!.mappings[0]!.size).toBe(8192);
    expect(s.hmm!.steps.at(-1)).toEqual({ action: 'hibernate' });
    expect(s.resume.e820.file).toBe('b.log');
  });

  const bad: [string, string[], string, RegExp][] = [
    ['no resume without hmm', LINES.slice(0, 4), 'SCENARIO_MISSING', /missing required key 'resume'/],
    [
      'unknown step key',
      edit(13, '    - { read: buf, lenght: 4 }'),
      'SCENARIO_UNKNOWN_KEY',
      /hmm\.steps\[3\]: unknown key 'lenght'/,
    ],
    [
      'two actions',
      edit(13, '    - { read: buf, pagemap: buf }'),
      'SCENARIO_CONFLICT',
      /exactly one action key .* got pagemap and read/,
    ],
    [
      'parameter of another action',
      edit(13, '    - { read: buf, to: device }'),
      'SCENARIO_CONFLICT',
      /hmm\.steps\[3\]\.to: not a parameter of a 'read' step/,
    ],
    [
      'unknown mapping',
      edit(11, '    - { migrate: bfu, to: device }'),
      'SCENARIO_VALUE',
      /process 'app' has no mapping 'bfu'/,
    ],
    ['migrate without to', edit(11, '    - { migrate: buf }'), 'SCENARIO_MISSING', /needs 'to: device'/],
    [
      'bad to',
      edit(11, '    - { migrate: buf, to: gpu }'),
      'SCENARIO_ENUM',
      /hmm\.steps\[1\]\.to: expected one of/,
    ],
    [
      'coherent device',
      edit(11, '    - { migrate: buf, to: device, device: 2 }'),
      'SCENARIO_RANGE',
      /device: expected an integer in 0…1/,
    ],
    ['page past the end', edit(12, '    - { pagemap: buf, page: 2 }'), 'SCENARIO_RANGE', /page: .* 0…1/],
    [
      'write without a value',
      edit(10, '    - { write: buf }'),
      'SCENARIO_MISSING',
      /exactly one of u32 .*, fill .* or pattern/,
    ],
    [
      'unaligned u32',
      edit(10, '    - { write: buf, u32: 1, offset: 2 }'),
      'SCENARIO_VALUE',
      /4-byte aligned/,
    ],
    [
      'process index out of range',
      edit(13, '    - { read: buf, process: 1 }'),
      'SCENARIO_RANGE',
      /process: expected an integer in 0…0/,
    ],
    [
      'duplicate mapping',
      edit(8, '      mappings: [ { name: buf, size: 4K }, { name: buf, size: 4K } ]'),
      'SCENARIO_CONFLICT',
      /'buf' is already a mapping/,
    ],
    [
      'too much memory',
      edit(8, '      mappings: [ { name: buf, size: 65M } ]'),
      'SCENARIO_RANGE',
      /exceed 64 MiB/,
    ],
    ['bad freeze', [...LINES, '  driver: { freeze: later }'], 'SCENARIO_ENUM', /hmm\.driver\.freeze/],
    [
      'hibernate needs a resume boot',
      [...LINES, '    - hibernate: {}'],
      'SCENARIO_MISSING',
      /a 'hibernate' step needs the scenario's 'resume' boot/,
    ],
    [
      'hibernate takes no parameters',
      [...LINES, '    - hibernate: { now: 1 }', 'resume:', '  e820: { file: b.log }'],
      'SCENARIO_UNKNOWN_KEY',
      /hmm\.steps\[4\]\.hibernate: unknown key 'now'/,
    ],
    [
      'a profile without HMM',
      edit(2, 'profile: linux-3.10'),
      'SCENARIO_VALUE',
      /profile linux-3\.10 has no HMM/,
    ],
  ];
  for (const [what, lines, code, msg] of bad) {
    it(`refuses: ${what}`, () => {
      const e = err(lines);
      expect(e.code).toBe(code);
      expect(e.msg).toMatch(msg);
      expect(e.where).toMatch(/^s\.yaml:\d+:\d+$/);
    });
  }

  it('names the line of the offending key or value', () => {
    expect(err(edit(11, '    - { migrate: buf, to: gpu }')).where).toBe('s.yaml:11:27');
    expect(err(edit(13, '    - { read: buf, lenght: 4 }')).where).toBe('s.yaml:13:20');
  });
});
