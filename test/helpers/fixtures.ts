/**
 * Locates the shared real-data fixtures (`../shared/fixtures` beside the repo
 * in development and CI) and unpacks the xz-compressed swap images once into a
 * cache directory. Tests that need them call `requireFixture*`; when the
 * shared directory is missing the helpers throw, so a missing fixture fails a
 * test loudly instead of skipping it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (test/helpers/../..). */
export const REPO_ROOT = resolve(here, '..', '..');

function findShared(): string {
  const candidates = [
    process.env.HIBLAB_SHARED,
    resolve(REPO_ROOT, '..', 'shared'),
    resolve(REPO_ROOT, 'shared'),
  ].filter((x): x is string => Boolean(x));
  for (const c of candidates) if (existsSync(join(c, 'fixtures'))) return c;
  throw new Error(
    `shared fixtures not found (looked in ${candidates.join(', ')}); set HIBLAB_SHARED to the shared/ directory`,
  );
}

/** Absolute path of `shared/fixtures/<rel>`; throws if it does not exist. */
export function fixturePath(rel: string): string {
  const p = join(findShared(), 'fixtures', rel);
  if (!existsSync(p)) throw new Error(`fixture missing: ${p}`);
  return p;
}

/** Absolute path of `shared/<rel>` (seeds/, reference/). */
export function sharedPath(rel: string): string {
  const p = join(findShared(), rel);
  if (!existsSync(p)) throw new Error(`shared file missing: ${p}`);
  return p;
}

export function readFixtureText(rel: string): string {
  return readFileSync(fixturePath(rel), 'utf8');
}

const CACHE = process.env.HIBLAB_FIXTURE_CACHE ?? join(tmpdir(), 'hiblab-fixture-cache');

/**
 * Path of an unpacked copy of `kernel-images/images/<name>.swap.img.xz`
 * (e.g. `612-lzo`). Unpacked with `xz -dc` into a cache shared by test runs.
 */
export function swapImagePath(name: string): string {
  const xzPath = fixturePath(`kernel-images/images/${name}.swap.img.xz`);
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, `${name}.swap.img`);
  if (existsSync(out) && statSync(out).size === 335544320) return out;
  const tmp = `${out}.${process.pid}.partial`;
  execFileSync('sh', ['-c', `xz -dc "${xzPath}" > "${tmp}"`], { stdio: 'inherit' });
  renameSync(tmp, out);
  return out;
}

/** The independent decoder's view of a run (`runs/<run>/<run>.decode.json`). */
export function decodeJson(run: string): Record<string, unknown> {
  return JSON.parse(readFixtureText(`kernel-images/runs/${run}/${run}.decode.json`)) as Record<
    string,
    unknown
  >;
}

/** `runs/<run>/pfnmap.txt.xz` unpacked: pfn of each pattern page i. */
export function pfnMap(run: string): number[] {
  const text = execFileSync('xz', ['-dc', fixturePath(`kernel-images/runs/${run}/pfnmap.txt.xz`)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const pfns: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+([0-9a-fA-Fx]+)\s*$/.exec(line);
    if (m) pfns[Number(m[1])] = Number.parseInt(m[2]!.replace(/^0x/, ''), 16);
  }
  return pfns;
}
