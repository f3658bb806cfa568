/**
 * Reads the repository's data/ files from the bundle (builtin-data.ts), so
 * builtin scenarios work in a browser and from a clean clone without ../shared.
 */
import { ScenarioError } from '../errors.js';
import { BUILTIN_FILES } from './builtin-data.js';
import { closest } from './did-you-mean.js';

/** Prefix naming a bundled data file: `data:e820/seed-000-suspend.txt`. */
export const DATA_PREFIX = 'data:';

/** Bundle key ('e820/x.txt') for `data:e820/x.txt`, `data/e820/x.txt` or `e820/x.txt`. */
export function dataKey(path: string): string {
  let p = path.startsWith(DATA_PREFIX) ? path.slice(DATA_PREFIX.length) : path;
  p = p.replace(/^\.?\//, '');
  if (p.startsWith('data/')) p = p.slice(5);
  return p;
}

/** The names of every bundled data file (bundle keys). */
export function dataFiles(): string[] {
  return Object.keys(BUILTIN_FILES).sort();
}

/** A FileReader over the bundled data/ files. */
export function builtinReader(path: string): string {
  const key = dataKey(path);
  const text = BUILTIN_FILES[key];
  if (text === undefined) {
    const near = closest(key, Object.keys(BUILTIN_FILES));
    throw new ScenarioError(
      'DATA_FILE_UNKNOWN',
      `no bundled data file '${path}'${near ? ` (did you mean '${DATA_PREFIX}${near}'?)` : ''}; known: ${dataFiles()
        .filter((k) => !k.startsWith('scenarios/'))
        .map((k) => DATA_PREFIX + k)
        .join(', ')}`,
    );
  }
  return text;
}
