/**
 * Hang detection for long runs. A synchronous parser stuck in a loop cannot be
 * interrupted from its own thread, so a worker thread watches a heartbeat in
 * shared memory; the main thread copies each input there before running it.
 * When the heartbeat stops for `hangMs`, the worker saves the input that hung
 * and kills the process (SIGKILL: the stuck thread never yields).
 */
import { Worker } from 'node:worker_threads';

const HEADER = 16; // [0] beat counter, [1] input length, [2] target index, [3] running flag
const WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { sab, hangMs, outDir, names } = workerData;
const hdr = new Int32Array(sab, 0, 4);
const bytes = new Uint8Array(sab, ${HEADER});
let lastBeat = -1, since = Date.now();
setInterval(() => {
  const beat = Atomics.load(hdr, 0);
  if (beat !== lastBeat || Atomics.load(hdr, 3) === 0) { lastBeat = beat; since = Date.now(); return; }
  if (Date.now() - since < hangMs) return;
  const name = names[Atomics.load(hdr, 2)] || 'unknown';
  const len = Atomics.load(hdr, 1);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'hang-' + name + '-' + Date.now() + '.bin');
  fs.writeFileSync(file, bytes.subarray(0, len));
  process.stderr.write('fuzz: HANG in target ' + name + ' (no progress for ' + hangMs + ' ms); input saved to ' + file + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 250);
`;

export class Watchdog {
  private readonly sab: SharedArrayBuffer;
  private readonly hdr: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly worker: Worker;

  constructor(names: readonly string[], hangMs: number, outDir: string, maxInput = 4 << 20) {
    this.sab = new SharedArrayBuffer(HEADER + maxInput);
    this.hdr = new Int32Array(this.sab, 0, 4);
    this.bytes = new Uint8Array(this.sab, HEADER);
    this.worker = new Worker(WORKER, { eval: true, workerData: { sab: this.sab, hangMs, outDir, names } });
    this.worker.unref();
  }

  /** Record the input about to run (target index into `names`). */
  beat(target: number, input: Uint8Array): void {
    const n = Math.min(input.length, this.bytes.length);
    this.bytes.set(input.subarray(0, n));
    Atomics.store(this.hdr, 1, n);
    Atomics.store(this.hdr, 2, target);
    Atomics.store(this.hdr, 3, 1);
    Atomics.add(this.hdr, 0, 1);
  }

  /** Between targets (loading seeds, printing): not a hang. */
  idle(): void {
    Atomics.store(this.hdr, 3, 0);
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
