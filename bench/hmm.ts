/**
 * HMM benchmark (issue 13 budget): an anonymous region of N MiB (default
 * 1024) written by the CPU, migrated to dmirror device memory with
 * HMM_DMIRROR_MIGRATE_TO_DEV and back with HMM_DMIRROR_MIGRATE_TO_SYS, as the
 * hmm-tests `migrate` test does; prints the model throughput of each
 * direction (GiB/s of the region; target ≥ 1 GiB/s), checks the data, then
 * times the whole `hiblab hmm-tests` run (target < 30 s).
 *
 *   npx tsx bench/hmm.ts [MiB]      # default 1024
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
const size = mib * 1024 * 1024;
const npages = size / 4096;
const profile = getProfile('linux-6.12');

function rss(): string {
  return `${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`;
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
// HIBLAB_BENCH_WARM=N: N untimed round trips first (profiling the migration paths).
for (let i = 0; i < Number(process.env.HIBLAB_BENCH_WARM ?? 0); i++) {
  hmm_dmirror_cmd(s, fd, ioc.migrateToDev, b, npages);
  hmm_dmirror_cmd(s, fd, ioc.migrateToSys, b, npages);
}
// HIBLAB_BENCH_PROFILE=FILE: a CPU profile of the two timed migrations only.
const session = process.env.HIBLAB_BENCH_PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.start');
}
const cpu0 = process.cpuUsage();
t0 = performance.now();
const r1 = hmm_dmirror_cmd(s, fd, ioc.migrateToDev, b, npages);
const tDev = performance.now() - t0;
if (r1 !== 0 || b.cpages !== npages) throw new Error(`MIGRATE_TO_DEV: ret ${r1}, cpages ${b.cpages}`);
console.log(
  `MIGRATE_TO_DEV ${mib} MiB: ${(tDev / 1000).toFixed(2)} s = ${(mib / 1024 / (tDev / 1000)).toFixed(2)} GiB/s (incl. the read-back into mirror), RSS ${rss()}`,
);

t0 = performance.now();
const r2 = hmm_dmirror_cmd(s, fd, ioc.migrateToSys, b, npages);
const tSys = performance.now() - t0;
if (r2 !== 0 || b.cpages !== npages) throw new Error(`MIGRATE_TO_SYS: ret ${r2}, cpages ${b.cpages}`);
console.log(
  `MIGRATE_TO_SYS ${mib} MiB: ${(tSys / 1000).toFixed(2)} s = ${(mib / 1024 / (tSys / 1000)).toFixed(2)} GiB/s, RSS ${rss()}`,
);
if (session) {
  const { profile } = (await post(session, 'Profiler.stop')) as { profile: unknown };
  writeFileSync(process.env.HIBLAB_BENCH_PROFILE!, JSON.stringify(profile));
}
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
console.log(
  `CPU time of both migrations: ${cpuS.toFixed(2)} s = ${((2 * mib) / 1024 / cpuS).toFixed(2)} GiB/s per CPU second (the box is shared: wall time includes waiting for a core)`,
);
console.log(
  `round trip: ${((2 * mib) / 1024 / ((tDev + tSys) / 1000)).toFixed(2)} GiB/s moved (target ≥ 1 GiB/s)`,
);

// The data is back in system RAM, equal to what was written.
for (let p = 0; p < npages; p++) {
  if (s.getI32(b.ptr + p * 4096) !== p) throw new Error(`page ${p}: data differs after the round trip`);
  if (s.getI32(b.mirror + p * 4096) !== p) throw new Error(`page ${p}: the device read-back differs`);
}
console.log('data checked: every page back in RAM with what was written');

if (process.env.HIBLAB_BENCH_NO_TESTS === '1') process.exit(0);
t0 = performance.now();
const results = runHmmTests(profile);
const tTests = performance.now() - t0;
const pass = results.filter((r) => r.result === 'pass').length;
console.log(
  `hmm-tests: ${results.length} runs (${pass} pass) in ${(tTests / 1000).toFixed(2)} s (target < 30 s), RSS ${rss()}`,
);
