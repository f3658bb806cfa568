/**
 * Scenario shapes that push `hiblab run`'s host memory to the edge of its defaults (issue 11:
 * peak RSS under 512 MiB on any input, bounded by the documented limits — the 2 TiB model size
 * and the 224 MiB host budget — not by what a scenario claims). Used by bench/rss.ts, which
 * measures each through the built CLI, and by test/hostile/rss-bound.test.ts.
 *
 *  - wide(P): a 2 TiB machine (the default model size) with P page-cache pages scattered over
 *    all of it: every scattered page breaks a struct-page chunk and touches a content-map
 *    section, so the counted state grows fastest per page placed here (refused from a few thousand pages).
 *  - fill(G): a G GiB machine filled with a scattered workload (~45% of RAM saved), the
 *    engine bench's model (plan.ts too): up to 24 GiB completes under the default budget.
 */
/** The benches' synthetic firmware table of `gib` GiB: 3 GiB below 4 GiB, the rest above. */
export function e820For(gib: number): string {
  const lines = [
    'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable',
    'BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved',
    'BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved',
  ];
  const low = Math.min(gib, 3) * 2 ** 30;
  lines.push(`BIOS-e820: [mem 0x0000000000100000-0x${(low - 1).toString(16).padStart(16, '0')}] usable`);
  lines.push('BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff] reserved');
  if (gib > 3) {
    const hiEnd = 2 ** 32 + (gib - 3) * 2 ** 30;
    lines.push(`BIOS-e820: [mem 0x0000000100000000-0x${(hiEnd - 1).toString(16).padStart(16, '0')}] usable`);
  }
  return lines.join('\n');
}

/** e820For() as a YAML inline string. */
const table = (gib: number): string => e820For(gib).replace(/\n/g, '\\n');

/** A 2 TiB machine (just under the default model size) with `pages` page-cache pages scattered over it. */
export function wideScenario(pages: number): string {
  const e820 = table(2040);
  return `name: wide-${pages}
seed: 42
profile: linux-6.12
suspend:
  e820: { inline: "${e820}" }
  workload:
    groups:
      - { kind: pagecache, pages: ${pages}, placement: scattered }
      - { kind: anon, size: 2G, placement: compact }
resume:
  e820: { inline: "${e820}" }
hibernate: { compressor: lzo }
`;
}

/** A `gib` GiB machine filled by a scattered workload, ~45% of its RAM saved. */
export function fillScenario(gib: number, name = `fill-${gib}g`): string {
  const e820 = table(gib);
  const half = Math.floor(gib * 262144 * 0.45);
  return `name: ${name}
seed: 42
profile: linux-6.12
suspend:
  e820: { inline: "${e820}" }
  workload:
    targetCopyPages: ${half}
    groups:
      - { kind: pagecache, pages: ${Math.floor(half / 4)} }
      - { kind: slab, pages: ${Math.floor(half / 16)} }
      - { kind: anon, fill: true }
resume:
  e820: { inline: "${e820}" }
hibernate: { compressor: lzo, cpus: 3, imageSize: ${gib}G }
`;
}
