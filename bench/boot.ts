/**
 * Boot benchmark: the largest real e820 table (HP Superdome 2, 12 TiB) and a
 * synthetic 1 TiB table, on every profile. Prints the median wall and CPU time of
 * HIBLAB_BENCH_ROUNDS boots (default 5; CPU time is the fairer number on a shared
 * machine) and RSS; it is a measurement, not a test. Run: npx tsx bench/boot.ts
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { E820_TYPE } from '../src/firmware/e820-types.js';
import { buildKernelE820, parseE820 } from '../src/firmware/index.js';
import { type BootE820, bootMachine } from '../src/machine/boot.js';
import { PROFILES } from '../src/profiles/index.js';
import { SHARED_DIR } from './shared-dir.js';

const shared = SHARED_DIR;

function synthetic1TiB(): BootE820 {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0xbff00000n, type: E820_TYPE.RAM },
    { addr: 0xc0000000n, size: 0x40000000n, type: E820_TYPE.RESERVED },
    { addr: 0x100000000n, size: (1n << 40n) - 0x100000000n, type: E820_TYPE.RAM },
  ];
  return { firmware: t, kernel: t };
}

const ROUNDS = Number(process.env.HIBLAB_BENCH_ROUNDS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(0)} MiB`;
}

function run(name: string, make: (profileId: string) => BootE820): void {
  for (const profile of PROFILES) {
    const e820 = make(profile.id);
    (globalThis as { gc?: () => void }).gc?.();
    const rss0 = process.memoryUsage().rss;
    const walls: number[] = [];
    const cpus: number[] = [];
    let m = bootMachine(e820, { profile, kaslr: { seed: 1 } });
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      m = bootMachine(e820, { profile, kaslr: { seed: 1 } });
      const c = process.cpuUsage(c0);
      walls.push(performance.now() - t0);
      cpus.push((c.user + c.system) / 1000);
    }
    const rss = process.memoryUsage().rss;
    console.log(
      `${name.padEnd(44)} ${profile.id.padEnd(11)} ${median(walls).toFixed(0).padStart(6)} ms  cpu ${median(cpus).toFixed(0).padStart(5)} ms  RSS ${mib(rss)} (+${mib(rss - rss0)})  ` +
        `max_pfn 0x${m.maxPfn.toString(16)} sections ${m.sections.presentCount} materialised ${m.pages.materialisedChunks} ` +
        `pt-pages ${m.directMap.pgtPages.length} phys-frames ${m.mem.materialisedCount} free ${m.buddy.totalFreePages}`,
    );
  }
}

const superdome = readFileSync(
  resolve(shared, 'fixtures/e820/hp-superdome2-16s-12tib-uefi-unusable-efimap.txt'),
  'utf8',
);
run('hp-superdome2-16s-12tib (real)', (id) => {
  const p = PROFILES.find((x) => x.id === id)!;
  return buildKernelE820(parseE820(superdome, 'superdome')[0]!, p);
});
run('synthetic 1 TiB', () => synthetic1TiB());
