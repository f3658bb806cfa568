/**
 * The layering of src/, read from the sources:
 *  - the core (src/ minus node/ and cli/) must run in a browser: no Node
 *    built-ins, no `process`, no `Buffer`, and no import of src/node or src/cli;
 *  - imports only go down the floor order of ARCHITECTURE.md:
 *      cli → scenario / diagnose / node → report / inspect / selftests → power / drivers
 *      → workload / kernel → machine → arch → mm → firmware → profiles → lib / util / errors / version
 *    (a layer may import itself and any layer below it, never one above).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/fixtures.js';

/** Rank of each top-level directory (or root file) of src/: higher may import lower. */
const RANK: Record<string, number> = {
  cli: 10,
  'index.ts': 10,
  scenario: 9,
  diagnose: 9,
  node: 9,
  report: 8,
  inspect: 8,
  selftests: 8,
  power: 7,
  drivers: 7,
  workload: 6,
  kernel: 6,
  machine: 5,
  arch: 4,
  mm: 3,
  firmware: 2,
  profiles: 1,
  lib: 0,
  util: 0,
  'errors.ts': 0,
  'errors.js': 0,
  'version.ts': 0,
  'version.js': 0,
  'index.js': 10,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const layerOf = (relToSrc: string): string => relToSrc.split('/')[0] ?? relToSrc;

/** Relative import specifiers of a TypeScript source (static and dynamic). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(m[1] as string);
  }
  return out;
}

/** Upward imports: `file (layer) -> target (layer)` for every import that climbs the floor order. */
function layerViolations(sources: { rel: string; text: string }[]): string[] {
  const bad: string[] = [];
  for (const { rel, text } of sources) {
    const from = layerOf(rel);
    const rf = RANK[from];
    if (rf === undefined) {
      bad.push(`${rel}: directory '${from}' has no place in the floor order`);
      continue;
    }
    for (const spec of importsOf(text)) {
      const target = normalize(join(dirname(rel), spec));
      if (target.startsWith('..')) continue; // outside src/ (none expected)
      const to = layerOf(target);
      const rt = RANK[to];
      if (rt === undefined || rt > rf) bad.push(`${rel} (${from}) -> ${target} (${to})`);
      else if (from !== 'cli' && from !== 'node' && (to === 'node' || to === 'cli'))
        bad.push(`${rel} (${from}) -> ${target} (${to}): the core may not import the Node front end`);
    }
  }
  return bad;
}

function sources(): { rel: string; text: string }[] {
  const src = join(REPO_ROOT, 'src');
  return files(src).map((f) => ({
    rel: relative(src, f).split('\\').join('/'),
    text: readFileSync(f, 'utf8'),
  }));
}

describe('layering', () => {
  it('the core (src/ minus node/ and cli/) uses no Node APIs', () => {
    const offenders: string[] = [];
    for (const { rel, text } of sources()) {
      if (rel.startsWith('node/') || rel.startsWith('cli/')) continue;
      if (
        /from '(node:|fs'|path'|os'|worker_threads|child_process)/.test(text) ||
        /\bprocess\.|\bBuffer\./.test(text)
      ) {
        offenders.push(rel);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('imports only go down the floor order', () => {
    expect(layerViolations(sources())).toEqual([]);
  });

  it('the checker catches a deliberate upward import', () => {
    // One upward import per kind that once existed in the tree.
    const planted = [
      { rel: 'firmware/e820-checksum.ts', text: "import { crc32 } from '../power/compress/crc32.js';" },
      { rel: 'arch/x86/cpa.ts', text: "import type { Machine } from '../../machine/boot.js';" },
      {
        rel: 'profiles/hibernation.ts',
        text: "import type { BitmapKind } from '../power/snapshot/bitmap.js';",
      },
      { rel: 'workload/place.ts', text: "import type { WorkloadSpec } from '../scenario/types.js';" },
      { rel: 'power/dump.ts', text: "const m = await import('../node/files.js');" },
    ];
    const found = layerViolations(planted);
    expect(found).toHaveLength(planted.length);
    expect(found[0]).toBe('firmware/e820-checksum.ts (firmware) -> power/compress/crc32.js (power)');
    // Downward and same-layer imports pass.
    expect(
      layerViolations([
        {
          rel: 'power/resume.ts',
          text: "import { walk } from '../arch/x86/walk.js';\nimport { x } from './oops.js';",
        },
      ]),
    ).toEqual([]);
  });
});
