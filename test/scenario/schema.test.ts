import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROFILE_IDS } from '../../src/profiles/index.js';
import { loadScenario, OUTCOMES, SCENARIO_KEYS, WORKLOAD_KINDS } from '../../src/scenario/index.js';
import { listYaml, readRepo } from './helpers.js';
import { type Schema, SchemaLite } from './schema-lite.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests mutate parsed YAML freely
type Loose = any;

const schema = JSON.parse(readRepo('docs/scenario.schema.json')) as Schema;
const v = new SchemaLite(schema);
const defs = schema.$defs as Record<string, Schema>;
const props = (s: Schema): string[] => Object.keys((s.properties ?? {}) as object).sort();
const sorted = (a: readonly string[]) => [...a].sort();
const raw = (text: string): unknown => parse(text, { intAsBigInt: true });

describe('docs/scenario.schema.json', () => {
  it('is draft 2020-12 and uses only keywords the checker understands', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('declares exactly the keys the loader accepts, mapping by mapping', () => {
    const top = schema;
    expect(props(top)).toEqual(sorted(SCENARIO_KEYS.scenario));
    // A modelled suspend boot needs profile, and resume unless the scenario is an HMM story;
    // a real image (suspend.image) needs resume and refuses hibernate / hmm (oneOf).
    expect(top.required).toEqual(['name', 'suspend']);
    const [modelled, image] = top.oneOf as Schema[];
    expect(modelled!.required).toEqual(['profile']);
    expect(modelled!.anyOf).toEqual([{ required: ['resume'] }, { required: ['hmm'] }]);
    expect(image!.required).toEqual(['resume']);
    expect(props(defs.imageSuspend!)).toEqual(sorted(SCENARIO_KEYS.imageSuspend));
    expect(props(defs.hmm!)).toEqual(sorted(SCENARIO_KEYS.hmm));
    expect(props((defs.hmm!.properties as Record<string, Schema>).driver!)).toEqual(
      sorted(SCENARIO_KEYS.hmmDriver),
    );
    expect(props(defs.hmmProcess!)).toEqual(sorted(SCENARIO_KEYS.hmmProcess));
    expect(props(defs.hmmMapping!)).toEqual(sorted(SCENARIO_KEYS.hmmMapping));
    expect(props(defs.hmmStep!)).toEqual(sorted(SCENARIO_KEYS.hmmStep));
    expect(props(defs.resumeBoot!)).toEqual(sorted(SCENARIO_KEYS.boot));
    expect(props(defs.suspendBoot!)).toEqual(sorted(SCENARIO_KEYS.boot.filter((k) => k !== 'resumeTrigger')));
    expect(props(defs.e820!)).toEqual(sorted(SCENARIO_KEYS.e820));
    const kaslr = defs.kaslr!.oneOf as Schema[];
    expect(props(kaslr[1]!)).toEqual(sorted(SCENARIO_KEYS.kaslrSeed));
    expect(props(kaslr[2]!)).toEqual(sorted(SCENARIO_KEYS.kaslrBases));
    expect(props(defs.workload!)).toEqual(sorted(SCENARIO_KEYS.workload));
    expect(props(defs.group!)).toEqual(sorted(SCENARIO_KEYS.group));
    expect(props(defs.contents!)).toEqual(sorted(SCENARIO_KEYS.contents));
    const p = top.properties as Record<string, Schema>;
    expect(props(p.hibernate!)).toEqual(sorted(SCENARIO_KEYS.hibernate));
    expect(props(p.faults!)).toEqual(sorted(SCENARIO_KEYS.faults));
    expect(props((p.faults!.properties as Record<string, Schema>).unmapPagesAtSave!.items as Schema)).toEqual(
      sorted(SCENARIO_KEYS.unmap),
    );
    expect(props(p.expect!)).toEqual(sorted(SCENARIO_KEYS.expect));
    expect(props((defs.resumeBoot!.properties as Record<string, Schema>).resumeTrigger!)).toEqual(
      sorted(SCENARIO_KEYS.resumeTrigger),
    );
  });

  it('enums match the code', () => {
    expect(defs.profile!.enum).toEqual([...PROFILE_IDS]);
    expect(
      ((schema.properties as Record<string, Schema>).expect!.properties as Record<string, Schema>).outcome!
        .enum,
    ).toEqual([...OUTCOMES]);
    expect((defs.group!.properties as Record<string, Schema>).kind!.enum).toEqual([...WORKLOAD_KINDS]);
  });

  it('every builtin and example file validates', () => {
    for (const f of [...listYaml('data/scenarios'), ...listYaml('data/examples')]) {
      expect(v.validate(raw(readRepo(f))), f).toEqual([]);
    }
  });

  it('structural errors the loader rejects are schema errors too', () => {
    const base = raw(readRepo('data/scenarios/seed-000.yaml')) as Record<string, unknown>;
    // the first group that is sized with `size` (groups[0] of seed-000 is pinned with `frames`)
    const g = ((base as Loose).suspend.workload.groups as Record<string, unknown>[]).findIndex(
      (x) => 'size' in x,
    );
    const bad: [string, (d: Loose) => void][] = [
      ['unknown top key', (d) => (d.expcet = {})],
      ['missing resume', (d) => delete d.resume],
      ['bad enum', (d) => (d.expect.outcome = 'resume')],
      ['wrong type', (d) => (d.suspend.e820.boot = 'one')],
      ['file and inline', (d) => (d.suspend.e820.inline = 'x')],
      ['unknown group key', (d) => (d.suspend.workload.groups[g].zones = 'DMA')],
      ['pages and size', (d) => (d.suspend.workload.groups[g].pages = 1)],
      ['no size', (d) => delete d.suspend.workload.groups[g].size],
      ['resumeTrigger on suspend', (d) => (d.suspend.resumeTrigger = { via: 'sysfs' })],
      ['comm too long', (d) => (d.resume.resumeTrigger.process = 'dracut-pre-mount')],
      ['bad kaslr', (d) => (d.resume.kaslr = 'on')],
      ['kaslr seed and bases', (d) => (d.resume.kaslr.seed = 1)],
      ['bad size', (d) => (d.suspend.workload.groups[g].size = '12Q')],
    ];
    for (const [what, mutate] of bad) {
      const d = structuredClone(base) as Loose;
      mutate(d);
      expect(v.validate(d).length, `schema: ${what}`).toBeGreaterThan(0);
      expect(
        () =>
          loadScenario(
            JSON.stringify(d, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)),
            'm.yaml',
          ),
        what,
      ).toThrow();
    }
  });

  it('image scenarios: the schema and the loader agree on what is valid', () => {
    const base = {
      name: 'img',
      suspend: { image: 'swap.img' },
      resume: { e820: { file: 'after.log' }, cmdline: 'nokaslr' },
      faults: { noTempPageTables: true },
      expect: { outcome: 'resumed' },
    };
    expect(v.validate(base)).toEqual([]);
    expect(() => loadScenario(JSON.stringify(base), 'i.yaml')).not.toThrow();
    const bad: [string, (d: Loose) => void][] = [
      ['image and workload', (d) => (d.suspend.workload = { groups: [{ kind: 'anon', pages: 1 }] })],
      ['image and e820', (d) => (d.suspend.e820 = { file: 'a.log' })],
      ['no resume', (d) => delete d.resume],
      ['hibernate', (d) => (d.hibernate = { compressor: 'lzo' })],
      ['hmm', (d) => (d.hmm = { processes: [], steps: [] })],
      ['suspend-side fault', (d) => (d.faults.cpaSplitFails = true)],
      ['data: image', (d) => (d.suspend.image = 'data:x.img')],
      ['empty image', (d) => (d.suspend.image = '')],
    ];
    for (const [what, mutate] of bad) {
      const d = structuredClone(base) as Loose;
      mutate(d);
      expect(v.validate(d).length, `schema: ${what}`).toBeGreaterThan(0);
      expect(() => loadScenario(JSON.stringify(d), 'i.yaml'), what).toThrow();
    }
  });

  it('an unknown key anywhere is rejected by both the schema and the loader', () => {
    const base = raw(readRepo('data/scenarios/seed-000.yaml'));
    const paths: unknown[][] = [];
    const walk = (x: unknown, p: unknown[]) => {
      if (x && typeof x === 'object' && !Array.isArray(x)) {
        paths.push(p);
        for (const [k, val] of Object.entries(x)) walk(val, [...p, k]);
      } else if (Array.isArray(x)) {
        for (const [i, y] of x.entries()) walk(y, [...p, i]);
      }
    };
    walk(base, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.constantFrom('bogusKey', 'x_y', 'Seedz'), (p, key) => {
        const d = structuredClone(base) as Loose;
        let o: Loose = d;
        for (const k of p) o = o[k as string];
        if (o.contents && key === 'Seedz') return; // keep the test focused on unknown keys
        o[key] = 1;
        // (inside a oneOf the schema reports "matches 0 of oneOf" rather than the property)
        expect(v.validate(d).length).toBeGreaterThan(0);
        const text = JSON.stringify(d, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
        expect(() => loadScenario(text, 'm.yaml')).toThrow(/unknown key/);
      }),
      { numRuns: 40 },
    );
  });
});
