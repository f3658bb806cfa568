/**
 * The kernel profiles hiblab knows, by id. Adding a kernel = a new file + one
 * line here; adding a build of a known kernel = one entry in ./builds.ts.
 * Ids: `linux-3.10`, `linux-6.1`, `linux-6.12` (each its stock build) and
 * `version/build`, e.g. `linux-6.12/tiny`, `linux-6.1/stock`.
 */
import { UsageError } from '../errors.js';
import { BUILDS, withBuild } from './builds.js';
import { linux310 } from './linux-3.10.js';
import { linux61 } from './linux-6.1.js';
import { linux612 } from './linux-6.12.js';
import type { KernelProfile } from './types.js';

export type { KernelBuild, KernelProfile } from './types.js';

/** One profile per kernel version, each with its default (stock) build. */
export const PROFILES: readonly KernelProfile[] = [linux310, linux61, linux612];

/** Every accepted profile id: versions and `version/build` for each build. */
export const PROFILE_IDS: readonly string[] = PROFILES.flatMap((p) => [
  p.id,
  ...(BUILDS[p.version] ?? []).map((b) => `${p.version}/${b.build.id}`),
]);

const cache = new Map<string, KernelProfile>();

export function getProfile(id: string): KernelProfile {
  const hit = cache.get(id);
  if (hit) return hit;
  const [version, buildId] = id.split('/', 2) as [string, string | undefined];
  const base = PROFILES.find((x) => x.id === version);
  const builds = base ? (BUILDS[base.version] ?? []) : [];
  const spec = buildId === undefined ? undefined : builds.find((b) => b.build.id === buildId);
  if (!base || (buildId !== undefined && !spec) || id.split('/').length > 2) {
    throw new UsageError(
      'PROFILE_UNKNOWN',
      `unknown kernel profile '${id}' (expected one of: ${PROFILE_IDS.join(', ')})`,
    );
  }
  // The default build's `version/stock` is the version profile itself, under the longer id.
  const p = spec ? withBuild(base, spec, false) : base;
  cache.set(id, p);
  return p;
}

/**
 * The profile of a kernel by its uname -r ("Linux version" line): the fixture
 * kernels by name, else the nearest modelled version; undefined when unknown.
 */
export function profileIdForRelease(release: string): string | undefined {
  const tiny = /-hiblab-tiny$/.test(release);
  const v = /^(\d+)\.(\d+)/.exec(release);
  if (!v) return undefined;
  const major = Number(v[1]);
  const minor = Number(v[2]);
  let version: string | undefined;
  if (major === 3 && minor === 10) version = 'linux-3.10';
  else if (major === 6 && minor >= 1 && minor < 6) version = 'linux-6.1';
  else if (major === 6 && minor >= 6) version = 'linux-6.12';
  if (!version) return undefined;
  return tiny ? `${version}/tiny` : version;
}

export { linux61, linux310, linux612 };
