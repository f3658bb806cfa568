/**
 * Generates src/scenario/builtin-data.ts from the files under data/ (the
 * builtin scenarios and the e820 logs they read), so the platform-neutral core
 * carries them as strings. Run: UPDATE_BUILTINS=1 npx vitest run test/scenario
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR = join(import.meta.dirname, '../../data');
export const GENERATED = join(import.meta.dirname, '../../src/scenario/builtin-data.ts');
/** Sub-directories of data/ that are bundled (examples are documentation, not builtins). */
export const BUNDLED_DIRS = ['e820', 'scenarios'];

/** Bundle key → file text, for every bundled data file. */
export function readDataFiles(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of BUNDLED_DIRS) {
    for (const f of readdirSync(join(DATA_DIR, d)).sort()) {
      if (f.startsWith('.')) continue;
      out[`${d}/${f}`] = readFileSync(join(DATA_DIR, d, f), 'utf8');
    }
  }
  return out;
}

const templateLiteral = (s: string): string =>
  `\`${s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\r/g, '\\r')}\``;

export function renderBuiltinData(files: Record<string, string>): string {
  const lines = [
    '/**',
    ' * GENERATED from data/ by test/scenario/builtin-data-gen.ts — do not edit.',
    ' * Regenerate: UPDATE_BUILTINS=1 npx vitest run test/scenario/builtin-data.test.ts',
    ' * Keys are paths under data/; values are the files, verbatim.',
    ' */',
    'export const BUILTIN_FILES: Readonly<Record<string, string>> = {',
  ];
  for (const k of Object.keys(files).sort()) lines.push(`  '${k}': ${templateLiteral(files[k]!)},`);
  lines.push('};', '');
  return lines.join('\n');
}
