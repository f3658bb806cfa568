/**
 * HMM benchmark (issue 13 budget): an anonymous region of N MiB (default
 * 1024) written by the CPU, migrated to dmirror device memory with
 * HMM_DMIRROR_MIGRATE_TO_DEV and back with HMM_DMIRROR_MIGRATE_TO_SYS, as the
 * hmm-tests `migrate` test does, for R rounds (default 5). Prints the model
 * throughput of each direction and of the round trip in GiB/s of the region
 * (target ≥ 1 GiB/s), wall and CPU time, median of the rounds (min–max);
 * checks the data after every round, then times the whole `hiblab hmm-tests`
 * run (target < 30 s).
 *
 *   npx tsx bench/hmm.ts [MiB] [rounds]      # default 1024 MiB, 5 rounds
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { DmirrorDriver } from '../src/drivers/test-hmm.js';
import { bootMmContext } from '../src/kernel/boot-mm.js';
import { Syscalls, type System } from '../src/kernel/syscalls.js';
import { Tasks } from '../src/kernel/task.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../src/mm/mmap.js';
import { getProfile } from '../src/profiles/index.js';
import { hmm_dmirror_cmd, newBuffer } from '../src/selftests/hmm-tests/harness.js';
import { runHmmTests } from '../src/selftests/hmm-tests/run.js';

function post(session: Session, method: string): Promise<unknown> {
  return new Promise((res, rej) => session.post(method, (err, r) => (err ? rej(err) : res(r))));
}

const mib = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 5);
const size = mib * 1024 * 1024;
const gib = mib / 1024;
const npages = size / 4096;
const profile = getProfile('linux-6.12');

function rss(): string {
  return `${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`;
}
/** CPU seconds of this process (user + system) since `from`. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1e6;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// RAM for the region, its device rpages and the read-back mirror (MIGRATE_TO_DEV copies the
// range back into `mirror`, as the C test checks it), plus the kernel.
const ctx = bootMmContext({ profile, ramMiB: Math.min(3 * mib + 512, 60 * 1024) });
const tasks = new Tasks(ctx);
const sys: System = { ctx, tasks, devices: new Map() };
const driver = new DmirrorDriver(ctx, {});
for (const d of driver.init()) sys.devices.set(d.path, d);
const s = new Syscalls(sys, tasks.spawn(false));
const fd = s.open('/dev/hmm_dmirror0', 2);
const b = newBuffer(size);
b.ptr = s.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
b.mirror = s.mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);

// Setup (not timed as migration): the region's pages and the mirror's, faulted in by the CPU.
let t0 = performance.now();
for (let p = 0; p < npages; p++) s.setI32(b.ptr + p * 4096, p);
for (let p = 0; p < npages; p++) s.setI32(b.mirror + p * 4096, -1);
const tWrite = performance.now() - t0;
console.log(
  `populate ${mib} MiB + its mirror (one store per page, 2 × ${npages} faults): ${(tWrite / 1000).toFixed(2)} s = ${((2 * npages) / (tWrite / 1000) / 1000).toFixed(0)}k faults/s, RSS ${rss()}`,
);

const ioc = ctx.hmm.ioctls;
// HIBLAB_BENCH_WARM=N: N untimed round trips first.
for (let i = 0; i < Number(process.env.HIBLAB_BENCH_WARM ?? 0); i++) {
  hmm_dmirror_cmd(s, fd, ioc.migrateToDev, b, npages);
  hmm_dmirror_cmd(s, fd, ioc.migrateToSys, b, npages);
}
// HIBLAB_BENCH_PROFILE=FILE: a CPU profile of the rounds (the between-round checks are cheap).
const session = process.env.HIBLAB_BENCH_PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.start');
}

const wallDev: number[] = [];
const wallSys: number[] = [];
const cpuDev: number[] = [];
const cpuSys: number[] = [];
for (let r = 0; r < rounds; r++) {
  // The mirror is reset every round (its pages stay mapped), so every round's read-back is checked.
  if (r) for (let p = 0; p < npages; p++) s.setI32(b.mirror + p * 4096, -1);
  let c0 = process.cpuUsage();
  t0 = performance.now();
  const r1 = hmm_dmirror_cmd(s, fd, ioc.migrateToDev, b, npages);
  wallDev.push((performance.now() - t0) / 1000);
  cpuDev.push(cpuSince(c0));
  if (r1 !== 0 || b.cpages !== npages) throw new Error(`MIGRATE_TO_DEV: ret ${r1}, cpages ${b.cpages}`);
  c0 = process.cpuUsage();
  t0 = performance.now();
  const r2 = hmm_dmirror_cmd(s, fd, ioc.migrateToSys, b, npages);
  wallSys.push((performance.now() - t0) / 1000);
  cpuSys.push(cpuSince(c0));
  if (r2 !== 0 || b.cpages !== npages) throw new Error(`MIGRATE_TO_SYS: ret ${r2}, cpages ${b.cpages}`);
  // The data is back in system RAM, equal to what was written; the device read it all.
  for (let p = 0; p < npages; p++) {
    if (s.getI32(b.ptr + p * 4096) !== p)
      throw new Error(`round ${r}, page ${p}: data differs after the round trip`);
    if (s.getI32(b.mirror + p * 4096) !== p)
      throw new Error(`round ${r}, page ${p}: the device read-back differs`);
  }
}
if (session) {
  const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
  writeFileSync(process.env.HIBLAB_BENCH_PROFILE!, JSON.stringify(profile));
}

/** "median GiB/s (min–max)" of `gibPerRound` over the per-round seconds. */
function rate(secs: number[], g: number): string {
  const r = secs.map((t) => g / t);
  return `${(g / median(secs)).toFixed(2)} GiB/s (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`;
}
const sum = (a: number[], b2: number[]): number[] => a.map((x, i) => x + b2[i]!);
console.log(`${mib} MiB, ${rounds} rounds, median (min–max); data checked after every round; RSS ${rss()}`);
console.log('                 wall                       CPU (user+system)');
console.log(
  `MIGRATE_TO_DEV   ${rate(wallDev, gib).padEnd(27)}${rate(cpuDev, gib)}   (incl. the read-back into mirror)`,
);
console.log(`MIGRATE_TO_SYS   ${rate(wallSys, gib).padEnd(27)}${rate(cpuSys, gib)}`);
console.log(
  `round trip       ${rate(sum(wallDev, wallSys), 2 * gib).padEnd(27)}${rate(sum(cpuDev, cpuSys), 2 * gib)}   (2 × region moved; target ≥ 1 GiB/s)`,
);

if (process.env.HIBLAB_BENCH_NO_TESTS === '1') process.exit(0);
t0 = performance.now();
const results = runHmmTests(profile);
const tTests = performance.now() - t0;
const pass = results.filter((r) => r.result === 'pass').length;
console.log(
  `hmm-tests: ${results.length} runs (${pass} pass) in ${(tTests / 1000).toFixed(2)} s (target < 30 s), RSS ${rss()}`,
);
