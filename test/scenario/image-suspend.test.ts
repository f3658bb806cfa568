/**
 * loadScenario() with `suspend: { image: FILE }`: what it fills, and every
 * key that conflicts with a real image as the hibernated state, refused at
 * its line and column.
 */
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import {
  AUTO_PROFILE,
  isImageSuspend,
  loadScenario,
  modelledSuspend,
  resolveBoot,
  type Scenario,
} from '../../src/scenario/index.js';
import { catchError } from './helpers.js';

/** A minimal image scenario; tests splice lines into it. */
const BASE = [
  'name: img', //                                 1
  'suspend:', //                                  2
  '  image: disk/swap.img', //                    3
  'resume:', //                                   4
  '  e820: { file: after.log }', //               5
].join('\n');

const load = (text: string): Scenario => loadScenario(text, 'i.yaml');
const errorAt = (text: string) => {
  const e = catchError(() => load(text));
  return { where: e.where(), code: e.code, msg: e.message };
};

describe('suspend.image: loading', () => {
  it('fills the image scenario: no profile (auto), no hibernate, kaslr left to the run', () => {
    const s = load(BASE);
    expect(isImageSuspend(s.suspend)).toBe(true);
    expect(s.suspend).toEqual({ image: 'disk/swap.img' });
    expect(s.profile).toBe(AUTO_PROFILE);
    expect(s.resume.profile).toBe(AUTO_PROFILE);
    expect(s.resume.kaslr).toBeUndefined();
    expect(s.resume.resumeTrigger).toEqual({ via: 'initcall' });
    expect(s.hibernate).toBeUndefined();
    // Where `image:`'s value is, for errors about the file at run time.
    expect(s.source).toEqual({ file: 'i.yaml', image: { line: 3, column: 10 } });
    expect(() => modelledSuspend(s)).toThrow(ScenarioError);
  });

  it('a profile (top level or resume) and nokaslr are taken as in any scenario', () => {
    const s = load(`${BASE}\n  profile: linux-6.1/tiny\n  cmdline: nokaslr memmap=4K$0x17fcf000`);
    expect(s.resume.profile).toBe('linux-6.1/tiny');
    expect(s.resume.kaslr).toBe('off');
    const t = load(
      `profile: linux-6.12\n${BASE}\nexpect: { outcome: oops }\nfaults: { noTempPageTables: true }`,
    );
    expect(t.profile).toBe('linux-6.12');
    expect(t.resume.profile).toBe('linux-6.12');
    expect(t.faults).toEqual({ noTempPageTables: true });
    expect(t.expect).toEqual({ outcome: 'oops' });
  });

  it('the auto profile is the resume log’s kernel, as `hiblab resume` picks it', () => {
    const s = load(BASE.replace('{ file: after.log }', '{ inline: "x" }'));
    const inline = (text: string) => ({ ...s, resume: { ...s.resume, e820: { inline: text, boot: 0 } } });
    const table = 'BIOS-e820: [mem 0x0000000000000000-0x000000001fffffff] usable\n';
    const io = { readFile: () => '', baseDir: '' };
    expect(
      resolveBoot(inline(`Linux version 6.12.117-hiblab-tiny (x)\n${table}`), 'resume', io).profile.id,
    ).toBe('linux-6.12/tiny');
    expect(resolveBoot(inline(`Linux version 6.1.0-53-amd64 (x)\n${table}`), 'resume', io).profile.id).toBe(
      'linux-6.1',
    );
    expect(resolveBoot(inline(table), 'resume', io).profile.id).toBe('linux-6.12');
  });
});

describe('suspend.image: conflicts and bad values, at their position', () => {
  const cases: [string, string, string, string, RegExp][] = [
    [
      'image and workload',
      BASE.replace('  image: disk/swap.img', '  image: disk/swap.img\n  workload: { groups: [] }'),
      'i.yaml:4:3',
      'SCENARIO_CONFLICT',
      /suspend\.workload: a real image \(suspend\.image\) is the hibernated state/,
    ],
    [
      'image and e820',
      BASE.replace('suspend:', 'suspend:\n  e820: { file: before.log }'),
      'i.yaml:3:3',
      'SCENARIO_CONFLICT',
      /suspend\.e820: a real image/,
    ],
    [
      'image and a suspend profile',
      BASE.replace('  image: disk/swap.img', '  image: disk/swap.img\n  profile: linux-6.12'),
      'i.yaml:4:3',
      'SCENARIO_CONFLICT',
      /suspend\.profile: a real image/,
    ],
    [
      'hibernate options',
      `${BASE}\nhibernate: { compressor: lz4 }`,
      'i.yaml:6:1',
      'SCENARIO_CONFLICT',
      /hibernate: not with suspend\.image: how the image is written is fixed by the image itself/,
    ],
    ['an HMM story', `${BASE}\nhmm: {}`, 'i.yaml:6:1', 'SCENARIO_CONFLICT', /hmm: not with suspend\.image/],
    [
      'a suspend-side fault',
      `${BASE}\nfaults:\n  noTempPageTables: true\n  cpaSplitFails: true`,
      'i.yaml:8:3',
      'SCENARIO_CONFLICT',
      /faults\.cpaSplitFails: not with suspend\.image/,
    ],
    [
      'no resume boot',
      'name: img\nsuspend:\n  image: swap.img',
      'i.yaml:1:1',
      'SCENARIO_MISSING',
      /missing required key 'resume' \(the boot that resumes suspend\.image\)/,
    ],
    [
      'a data: image',
      BASE.replace('disk/swap.img', 'data:e820/qemu-pc-384m.txt'),
      'i.yaml:3:10',
      'SCENARIO_VALUE',
      /hiblab ships no swap images under data\//,
    ],
    [
      'not a string',
      BASE.replace('disk/swap.img', '42'),
      'i.yaml:3:10',
      'SCENARIO_TYPE',
      /suspend\.image: expected a string/,
    ],
    [
      'empty',
      BASE.replace('disk/swap.img', '" "'),
      'i.yaml:3:10',
      'SCENARIO_VALUE',
      /suspend\.image: expected a path/,
    ],
    [
      'a typo beside image',
      BASE.replace('  image: disk/swap.img', '  image: disk/swap.img\n  workloda: {}'),
      'i.yaml:4:3',
      'SCENARIO_UNKNOWN_KEY',
      /unknown key 'workloda' \(did you mean 'workload'\?\)/,
    ],
    [
      'image on the resume boot',
      `${BASE}\n  image: x.img`,
      'i.yaml:6:3',
      'SCENARIO_UNKNOWN_KEY',
      /resume: unknown key 'image'/,
    ],
  ];
  for (const [what, text, where, code, msg] of cases) {
    it(what, () => {
      const e = errorAt(text);
      expect([e.where, e.code]).toEqual([where, code]);
      expect(e.msg).toMatch(msg);
    });
  }

  it('a modelled scenario still needs its profile', () => {
    const e = errorAt('name: t\nsuspend:\n  e820: { file: a.log }\nresume:\n  e820: { file: b.log }');
    expect([e.where, e.code, e.msg]).toEqual([
      'i.yaml:1:1',
      'SCENARIO_MISSING',
      "scenario: missing required key 'profile'",
    ]);
  });
});
