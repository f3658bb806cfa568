/** Seed corpora: the shared real-data fixtures and the repository's own data/. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, REPO_ROOT } from '../../test/helpers/fixtures.js';

const enc = new TextEncoder();

export const text = (s: string): Uint8Array => enc.encode(s);

/** Every file under `dir` (recursively) whose name matches `re`, sorted, at most `max` bytes each. */
export function filesUnder(dir: string, re: RegExp, max = 4 << 20): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (re.test(n) && st.size <= max) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The e820 log fixtures (dmesg/journal/syslog text) plus the repo's data/e820 logs. */
export function e820LogFiles(): string[] {
  return [
    ...['e820', 'e820-fragments', 'e820-pairs'].flatMap((d) => filesUnder(fixturePath(d), /\.txt$/)),
    ...filesUnder(join(REPO_ROOT, 'data', 'e820'), /\.txt$/),
  ];
}

/** The kernel-image run consoles (full boots: e820, cmdline, /proc/iomem dumps). */
export function consoleLogFiles(): string[] {
  return filesUnder(fixturePath('kernel-images'), /^console-.*\.log$/);
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
