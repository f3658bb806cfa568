/**
 * Hibernate + resume of a large model end to end (issue 4 budget): a
 * synthetic machine of N GiB with about half of its pages saved, full page
 * contents (generated from descriptors, not held), an LZO image in a sparse
 * temp file, 2 compression workers. Prints wall time, image MB/s written and
 * read, and peak RSS.
 *
 *   npx tsx bench/engine.ts [GiB ...]     # default: 4   (e.g. `4 64`)
 */
import { NodeChunkPool } from '../src/node/compress-pool.js';
import '../src/node/install-fast-paths.js';
import { FileSwapDevice } from '../src/node/swap-file.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/scenario/run.js';

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

export async function runEngineBench(gib: number, log: (s: string) => void = console.log): Promise<void> {
  const pages = gib * 262144;
  // ~45% of RAM saved: the copy frames need the other half (swsusp_save needs free > saved + PAGES_FOR_IO).
  const half = Math.floor(pages * 0.45);
  const yaml = `
name: bench-${gib}g
seed: 42
profile: linux-6.12
suspend:
  e820: { inline: "${e820For(gib).replace(/\n/g, '\\n')}" }
  workload:
    targetCopyPages: ${half}
    groups:
      - { kind: pagecache, pages: ${Math.floor(half / 4)} }
      - { kind: slab, pages: ${Math.floor(half / 16)} }
      - { kind: anon, fill: true }
resume:
  e820: { inline: "${e820For(gib).replace(/\n/g, '\\n')}" }
hibernate: { compressor: lzo, cpus: 3, imageSize: ${gib}G }
`;
  const sc = loadScenario(yaml, `bench-${gib}g.yaml`);
  const pool = new NodeChunkPool({ threads: 2 });
  let dev: FileSwapDevice | undefined;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  let tImage = 0;
  try {
    const r = await runScenario(sc, {
      readFile: () => '',
      baseDir: '.',
      pool,
      device: (n) => {
        dev = new FileSwapDevice(n);
        return dev;
      },
      onImageWritten: () => {
        tImage = performance.now();
      },
    });
    const t1 = performance.now();
    peak = Math.max(peak, process.memoryUsage().rss);
    if (!r.suspend.hibernate) throw new Error(`hibernation failed: ${r.reason}`);
    const h = r.suspend.hibernate;
    const imageMiB = (h.write.pages * 4096) / 2 ** 20;
    const hibS = (tImage - t0) / 1000;
    const resS = (t1 - tImage) / 1000;
    log(
      `${gib} GiB model: ${r.verdict}; ${h.save.nrCopyPages} pages copied + ${h.save.nrZeroPages} zero; ` +
        `image ${imageMiB.toFixed(0)} MiB stream, ${(h.write.compressedBytes / 2 ** 20).toFixed(0)} MiB compressed`,
    );
    log(
      `  boot+hibernate ${hibS.toFixed(1)} s (${(imageMiB / hibS).toFixed(0)} MiB/s of image written), ` +
        `boot+resume+verify ${resS.toFixed(1)} s (${(imageMiB / resS).toFixed(0)} MiB/s read), total ${((t1 - t0) / 1000).toFixed(1)} s; ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB; verify ${r.resume?.result.verify?.ok}/${r.resume?.result.verify?.checked}`,
    );
  } finally {
    clearInterval(timer);
    await pool.close();
    dev?.remove();
  }
}

const args = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const g of args.length ? args : [4]) await runEngineBench(g);
}
