import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, ScenarioError } from '../../src/errors.js';
import { DEFAULT_CONTENTS, deriveSeed, loadScenario, type Scenario } from '../../src/scenario/index.js';
import { catchError, listYaml, readRepo } from './helpers.js';

/** A minimal valid scenario; tests splice lines into it. */
const BASE = [
  'name: t', //                                  1
  'profile: linux-6.12', //                      2
  'suspend:', //                                 3
  '  e820: { file: a.log }', //                  4
  'resume:', //                                  5
  '  e820: { file: b.log, boot: 1 }', //         6
].join('\n');

const load = (text: string): Scenario => loadScenario(text, 'x.yaml');

function errorAt(text: string) {
  const e = catchError(() => load(text));
  return { e, where: e.where(), code: e.code, msg: e.message };
}

describe('loadScenario: valid input and defaults', () => {
  it('loads the minimal scenario and fills every default', () => {
    const s = load(BASE);
    expect(s.name).toBe('t');
    expect(s.seed).toBe(0);
    expect(s.suspend.profile).toBe('linux-6.12');
    expect(s.resume.profile).toBe('linux-6.12');
    expect(s.suspend.e820).toEqual({ file: 'a.log', boot: 0 });
    expect(s.resume.e820).toEqual({ file: 'b.log', boot: 1 });
    // 6.12 randomizes the memory regions by default: a seed derived from the master seed, per boot.
    expect(s.suspend.kaslr).toEqual({ seed: deriveSeed(0, 'suspend.kaslr') });
    expect(s.resume.kaslr).toEqual({ seed: deriveSeed(0, 'resume.kaslr') });
    expect(s.suspend.kaslr).not.toEqual(s.resume.kaslr);
    expect(s.resume.resumeTrigger).toEqual({ via: 'initcall' });
    expect(s.suspend.resumeTrigger).toBeUndefined();
    expect(s.hibernate).toEqual({ compressor: 'lzo', platformMode: false });
    expect(s.source).toEqual({ file: 'x.yaml' });
    expect(s.expect).toBeUndefined();
  });

  it('is deterministic and returns plain JSON-able data', () => {
    const a = load(BASE);
    expect(load(BASE)).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('nokaslr on the cmdline means kaslr off; explicit bases are normalised to lower-case hex', () => {
    const s = load(
      `${BASE.replace('  e820: { file: a.log }', '  e820: { file: a.log }\n  cmdline: quiet nokaslr')}\n` +
        '  kaslr: { pageOffsetBase: "0xFFFF926340000000", vmemmapBase: 0xffffe30300000000 }\n',
    );
    expect(s.suspend.kaslr).toBe('off');
    expect(s.resume.kaslr).toEqual({
      pageOffsetBase: '0xffff926340000000',
      vmemmapBase: '0xffffe30300000000',
    });
  });

  it('compressor defaults follow the suspend cmdline (hibernate=nocompress, hibernate.compressor=)', () => {
    const withCmd = (c: string) =>
      load(BASE.replace('  e820: { file: a.log }', `  e820: { file: a.log }\n  cmdline: ${c}`));
    expect(withCmd('hibernate=nocompress').hibernate?.compressor).toBe('none');
    expect(withCmd('hibernate.compressor=lz4').hibernate?.compressor).toBe('lz4');
    expect(withCmd('quiet').hibernate?.compressor).toBe('lzo');
  });

  it('workload: sizes become pages (memparse, rounded up), kind-specific default contents', () => {
    const s = load(
      `${BASE}\n  workload:\n    seed: "0x10"\n    targetCopyPages: 1000\n    groups:\n` +
        '      - { kind: anon, size: 1G }\n' +
        '      - { kind: pagecache, size: "4097" }\n' +
        '      - { kind: slab, pages: 0x20, zone: DMA32, placement: compact, contents: { pointer: 1 } }\n' +
        '      - { kind: kernel, fill: true }\n',
    );
    const w = s.resume.workload!;
    expect(w.seed).toBe(16);
    expect(w.targetCopyPages).toBe(1000);
    expect(w.churn).toBe(0);
    expect(w.groups.map((g) => g.pages)).toEqual([262144, 2, 32, 0]);
    expect(w.groups[0]).toMatchObject({ size: '1G', zone: 'any', placement: 'scattered', fill: false });
    expect(w.groups[0]!.contents).toEqual(DEFAULT_CONTENTS.anon);
    expect(w.groups[2]!.contents).toEqual({ zero: 0, text: 0, pointer: 1, random: 0 });
    expect(w.groups[3]!.fill).toBe(true);
  });

  it('integers: YAML int, 0x hex int, "0x" string and decimal string all give the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.nat(3), (n, form) => {
        const text = [String(n), `0x${n.toString(16)}`, `"0x${n.toString(16).toUpperCase()}"`, `"${n}"`][
          form
        ]!;
        expect(load(`seed: ${text}\n${BASE}`).seed).toBe(n);
      }),
      { numRuns: 60 },
    );
  });

  it('sizes: memparse suffixes K/M/G/T are binary units, pages round up', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }),
        fc.constantFrom('', 'K', 'M', 'G', 'k', 'm'),
        (n, suf) => {
          const shift = { '': 0, K: 10, M: 20, G: 30, k: 10, m: 20 }[suf]!;
          const bytes = BigInt(n) << BigInt(shift);
          const s = load(`${BASE}\n  workload:\n    groups:\n      - { kind: anon, size: "${n}${suf}" }\n`);
          expect(s.resume.workload!.groups[0]!.pages).toBe(Number((bytes + 4095n) / 4096n));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('YAML aliases are followed', () => {
    const s = load(
      'name: t\nprofile: linux-3.10\nsuspend:\n  e820: &m { file: same.log }\nresume:\n  e820: *m\n',
    );
    expect(s.resume.e820.file).toBe('same.log');
  });

  it('every builtin and example YAML file loads', () => {
    for (const f of [...listYaml('data/scenarios'), ...listYaml('data/examples')]) {
      const s = loadScenario(readRepo(f), f);
      expect(s.name, f).toMatch(/\S/);
    }
  });
});

describe('loadScenario: errors name file:line:column', () => {
  it('bad indentation is a YAML ParseError at the offending line', () => {
    const { e, where } = errorAt('name: t\nsuspend:\n  e820:\n    file: a\n   boot: 1\n');
    expect(e).toBeInstanceOf(ParseError);
    expect(e.code).toMatch(/^YAML_/);
    expect(where).toMatch(/^x\.yaml:[45]:\d+$/);
  });

  it('a tab-indented or unterminated document is a ParseError', () => {
    expect(errorAt('name: "t\n').e).toBeInstanceOf(ParseError);
    expect(errorAt('a:\n\t- b\n').e).toBeInstanceOf(ParseError);
  });

  it('text that makes the yaml parser run out of stack is a ParseError, not a crash (fuzz finding)', () => {
    // A long block list after a mis-indented line: the parser's recovery recurses per item.
    const item = '      - { kind: pagecache, size: 256M }';
    const text = ['profile: linux-3.10', 'suspend:', '  e820: { file: x }', item, item, ' e: 256M }']
      .concat(Array(20000).fill(item), ['resume:'])
      .join('\n');
    const { e, where } = errorAt(text);
    expect(e).toBeInstanceOf(ParseError);
    expect([e.code, where]).toEqual(['YAML_TOO_COMPLEX', 'x.yaml']);
  });

  it('duplicate keys are rejected', () => {
    const { e, where } = errorAt(`${BASE}\nname: u\n`);
    expect(e).toBeInstanceOf(ParseError);
    expect(where).toBe('x.yaml:7:1');
  });

  it('unknown key: error at the key with a did-you-mean hint', () => {
    const { e, where, code, msg } = errorAt(
      `${BASE}\n  workload:\n    target_copy_pages: 5\n    groups: []\n`,
    );
    expect(e).toBeInstanceOf(ScenarioError);
    expect(code).toBe('SCENARIO_UNKNOWN_KEY');
    expect(where).toBe('x.yaml:8:5');
    expect(msg).toContain("did you mean 'targetCopyPages'?");
    expect(msg).toContain('resume.workload');
    const top = errorAt(`${BASE}\nexpcet: { outcome: oops }\n`);
    expect(top.where).toBe('x.yaml:7:1');
    expect(top.msg).toContain("did you mean 'expect'?");
    const far = errorAt(`${BASE}\nzzzz: 1\n`);
    expect(far.msg).not.toContain('did you mean');
  });

  it('wrong type: error at the value', () => {
    const { e, where, code, msg } = errorAt(BASE.replace('boot: 1', 'boot: one'));
    expect(e).toBeInstanceOf(ScenarioError);
    expect(code).toBe('SCENARIO_TYPE');
    expect(where).toBe('x.yaml:6:30');
    expect(msg).toContain('resume.e820.boot');
    expect(errorAt(`${BASE}\nhibernate: { platformMode: "yes" }\n`).where).toBe('x.yaml:7:28');
    expect(errorAt(`${BASE}\nhibernate: [lzo]\n`).code).toBe('SCENARIO_TYPE');
    expect(errorAt(`${BASE}\n  cmdline: 5\n`).code).toBe('SCENARIO_TYPE');
  });

  it('bad enum: error at the value with the allowed values and a hint', () => {
    const { code, where, msg } = errorAt(`${BASE}\nexpect:\n  outcome: resume\n`);
    expect(code).toBe('SCENARIO_ENUM');
    expect(where).toBe('x.yaml:8:12');
    expect(msg).toContain("'resumed'");
    expect(msg).toContain("did you mean 'resumed'?");
    const p = errorAt(BASE.replace('linux-6.12', 'linux-6.11'));
    expect(p.code).toBe('SCENARIO_ENUM');
    expect(p.where).toBe('x.yaml:2:10');
    const k = errorAt(`${BASE}\n  workload: { groups: [ { kind: anonymous, pages: 1 } ] }\n`);
    expect(k.code).toBe('SCENARIO_ENUM');
    expect(k.where).toBe('x.yaml:7:33');
  });

  it('missing required: error at the enclosing mapping', () => {
    const r = errorAt(BASE.replace('name: t\n', ''));
    expect(r.code).toBe('SCENARIO_MISSING');
    expect(r.msg).toContain("'name'");
    expect(r.where).toBe('x.yaml:1:1');
    const e8 = errorAt(BASE.replace('  e820: { file: a.log }', '  cmdline: quiet'));
    expect(e8.code).toBe('SCENARIO_MISSING');
    expect(e8.msg).toContain("suspend: missing required key 'e820'");
    expect(e8.where).toBe('x.yaml:4:3');
    expect(errorAt(`${BASE}\nexpect: {}\n`).where).toBe('x.yaml:7:9');
  });

  it('empty or non-mapping documents', () => {
    expect(errorAt('').code).toBe('SCENARIO_EMPTY');
    expect(errorAt('- a\n').code).toBe('SCENARIO_TYPE');
  });

  it('cross-field rules', () => {
    const both = errorAt(BASE.replace('{ file: a.log }', '{ file: a.log, inline: "x" }'));
    expect(both.code).toBe('SCENARIO_CONFLICT');
    expect(both.where).toBe('x.yaml:4:9');
    expect(errorAt(BASE.replace('{ file: a.log }', '{ boot: 0 }')).code).toBe('SCENARIO_CONFLICT');
    // fill without target, target without fill, two fills
    expect(errorAt(`${BASE}\n  workload: { groups: [ { kind: anon, fill: true } ] }\n`).code).toBe(
      'SCENARIO_MISSING',
    );
    expect(
      errorAt(`${BASE}\n  workload: { targetCopyPages: 5, groups: [ { kind: anon, pages: 1 } ] }\n`).code,
    ).toBe('SCENARIO_MISSING');
    expect(
      errorAt(
        `${BASE}\n  workload: { targetCopyPages: 5, groups: [ { kind: anon, fill: true }, { kind: slab, fill: true } ] }\n`,
      ).code,
    ).toBe('SCENARIO_CONFLICT');
    expect(errorAt(`${BASE}\n  workload: { groups: [ { kind: anon } ] }\n`).code).toBe('SCENARIO_MISSING');
    expect(errorAt(`${BASE}\n  workload: { groups: [ { kind: anon, pages: 1, size: 4K } ] }\n`).code).toBe(
      'SCENARIO_CONFLICT',
    );
    // resumeTrigger only on the resume boot; process only via sysfs; comm is 15 characters
    expect(
      errorAt(
        BASE.replace('  e820: { file: a.log }', '  e820: { file: a.log }\n  resumeTrigger: { via: sysfs }'),
      ).code,
    ).toBe('SCENARIO_CONFLICT');
    expect(errorAt(`${BASE}\n  resumeTrigger: { via: initcall, process: sh }\n`).code).toBe(
      'SCENARIO_CONFLICT',
    );
    expect(errorAt(`${BASE}\n  resumeTrigger: { via: sysfs, process: dracut-pre-mount }\n`).code).toBe(
      'SCENARIO_RANGE',
    );
    // pid only via sysfs (an initcall runs in PID 1), within PID_MAX_LIMIT
    expect(errorAt(`${BASE}\n  resumeTrigger: { via: initcall, pid: 318 }\n`).code).toBe('SCENARIO_CONFLICT');
    expect(errorAt(`${BASE}\n  resumeTrigger: { via: sysfs, pid: 0 }\n`).code).toBe('SCENARIO_RANGE');
    // nokaslr vs explicit KASLR
    expect(errorAt(`${BASE}\n  cmdline: nokaslr\n  kaslr: { seed: 1 }\n`).code).toBe('SCENARIO_CONFLICT');
    // lz4 needs a 6.9+ kernel; nocompress on the cmdline vs an explicit compressor
    const lz4 = errorAt(`${BASE.replace('linux-6.12', 'linux-3.10')}\nhibernate: { compressor: lz4 }\n`);
    expect(lz4.code).toBe('SCENARIO_VALUE');
    expect(lz4.where).toBe('x.yaml:7:26');
    expect(
      errorAt(
        `${BASE.replace('  e820: { file: a.log }', '  e820: { file: a.log }\n  cmdline: hibernate=nocompress')}\nhibernate: { compressor: lzo }\n`,
      ).code,
    ).toBe('SCENARIO_CONFLICT');
  });

  it('ranges and values', () => {
    expect(errorAt(`seed: -1\n${BASE}`).code).toBe('SCENARIO_RANGE');
    expect(errorAt(`seed: 0x20000000000000\n${BASE}`).code).toBe('SCENARIO_RANGE');
    expect(errorAt(`seed: 1.5\n${BASE}`).code).toBe('SCENARIO_TYPE');
    expect(errorAt(`${BASE}\n  workload: { churn: 2, groups: [ { kind: anon, pages: 1 } ] }\n`).code).toBe(
      'SCENARIO_RANGE',
    );
    expect(errorAt(`${BASE}\n  workload: { groups: [ { kind: anon, size: 12Q } ] }\n`).code).toBe(
      'SCENARIO_VALUE',
    );
    expect(errorAt(`${BASE}\n  workload: { groups: [] }\n`).code).toBe('SCENARIO_RANGE');
    expect(
      errorAt(`${BASE}\n  workload: { groups: [ { kind: anon, pages: 1, contents: { zero: 0 } } ] }\n`).code,
    ).toBe('SCENARIO_VALUE');
    // KASLR bases: kernel half, 1 GiB aligned (kernel_randomize_memory uses PUD_MASK)
    const kb = (a: string) =>
      errorAt(`${BASE}\n  kaslr: { pageOffsetBase: "${a}", vmemmapBase: "0xffffe30300000000" }\n`);
    expect(kb('0x00007f0000000000').code).toBe('SCENARIO_RANGE');
    expect(kb('0xffff926340001000').code).toBe('SCENARIO_VALUE');
    expect(kb('ffff926340000000').code).toBe('SCENARIO_VALUE');
    expect(errorAt(`${BASE}\n  kaslr: { seed: 1, pageOffsetBase: "0xffff926340000000" }\n`).code).toBe(
      'SCENARIO_UNKNOWN_KEY',
    );
    expect(errorAt(`${BASE}\n  kaslr: on\n`).code).toBe('SCENARIO_ENUM');
    expect(errorAt(BASE.replace('name: t', 'name: "bad name"')).code).toBe('SCENARIO_VALUE');
    expect(errorAt(`${BASE}\n  e820: *nope\n`).e).toBeInstanceOf(Error);
  });

  it('rejects oversized input before parsing', () => {
    expect(errorAt(`${BASE}\n#${'x'.repeat(1 << 20)}\n`).code).toBe('SCENARIO_TOO_LARGE');
  });
});
