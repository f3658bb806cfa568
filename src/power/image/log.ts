/**
 * Kernel-style log lines of the image writer and loader (kernel/power/swap.c,
 * swsusp_show_speed() in kernel/power/hibernate.c). Spellings per era come
 * from FORMAT_ERAS; the lines are handed to a callback, one string per line
 * without the newline.
 */
import type { FormatEraRules } from './format-era.js';

export type LogSink = (line: string) => void;

/** Milliseconds from some fixed origin; injectable so tests and the model are deterministic. */
export type Clock = () => number;

export const defaultClock: Clock = () => (globalThis.performance ? globalThis.performance.now() : Date.now());

/** Stream pages done out of a total, for progress bars and event sinks. */
export type ProgressSink = (done: number, total: number) => void;

/**
 * The 10% progress rule of save_image(), load_image() and their compressed twins: m = nr/10 (at least 1);
 * before counting page n (0-based) a line is printed when n % m == 0, with
 * value n / m * 10. So 0% is printed, and 100% only if nr is not a multiple of 10.
 * The writer and the loaders (image/writer.ts, image/reader.ts, ../swap-read.ts) all count with it.
 *
 * `onProgress`, when given, gets (done, total) after every 1% of the pages and
 * after the last one (done === total): finer than the kernel's lines, for a bar.
 */
export class ProgressPrinter {
  private readonly m: number;
  private readonly step: number;
  private next: number;
  private n = 0;
  constructor(
    private readonly nrToDo: number,
    private readonly phase: 'saving' | 'loading',
    private readonly log: LogSink | undefined,
    private readonly onProgress?: ProgressSink,
  ) {
    this.m = Math.floor(nrToDo / 10) || 1;
    this.step = Math.max(1, Math.ceil(nrToDo / 100));
    this.next = onProgress ? Math.min(nrToDo, this.step) : Number.POSITIVE_INFINITY;
  }
  /** Call once per stream page, in the place the kernel increments nr_pages. */
  tick(): void {
    if (this.log && this.n % this.m === 0) {
      this.log(`PM: Image ${this.phase} progress: ${String(Math.floor(this.n / this.m) * 10).padStart(3)}%`);
    }
    this.n++;
    if (this.n >= this.next) {
      this.onProgress!(this.n, this.nrToDo);
      this.next =
        this.n >= this.nrToDo ? Number.POSITIVE_INFINITY : Math.min(this.nrToDo, this.n + this.step);
    }
  }
  /**
   * tick() `k` times: the pages between a line and a report are counted at once (a 12 TiB
   * image has 52M pages; the per-page test costs ~0.3 s a pass), the lines and reports as
   * k tick()s give them.
   */
  tickN(k: number): void {
    const end = this.n + k;
    while (this.n < end) {
      let to = Math.min(end, this.next - 1);
      if (this.log) {
        const r = this.n % this.m;
        to = r === 0 ? this.n : Math.min(to, this.n + (this.m - r));
      }
      if (to > this.n) this.n = to;
      else this.tick();
    }
  }
  get count(): number {
    return this.n;
  }
}

/**
 * The number of compression / decompression threads: clamp(num_online_cpus() - 1,
 * 1, LZO_THREADS / CMP_THREADS = 3) — save_image_lzo() / load_image_lzo() in 3.10,
 * save_compressed_image() / load_compressed_image() in 6.x (kernel/power/swap.c).
 */
export function kernelThreads(cpus: number): number {
  return Math.min(3, Math.max(1, cpus - 1));
}

/** swsusp_show_speed(): "<prefix><msg> %u kbytes in %u.%02u seconds (%u.%02u MB/s)". */
export function speedLine(
  rules: FormatEraRules,
  msg: 'Wrote' | 'Read' | 'Allocated',
  nrPages: number,
  elapsedMs: number,
): string {
  let centisecs = Math.floor(Math.max(0, elapsedMs) / 10) >>> 0;
  if (centisecs === 0) centisecs = 1; // avoid div-by-zero, as the kernel does
  const k = (nrPages * 4) >>> 0;
  const kps = Math.floor(((k * 100) % 0x100000000) / centisecs);
  const cs = String(centisecs % 100).padStart(2, '0');
  const mbs = String(Math.floor((kps % 1000) / 10)).padStart(2, '0');
  return `${rules.speedPrefix}${msg} ${k} kbytes in ${Math.floor(centisecs / 100)}.${cs} seconds (${Math.floor(kps / 1000)}.${mbs} MB/s)`;
}

export function threadsLine(
  rules: FormatEraRules,
  threads: number,
  codec: string,
  dir: 'compression' | 'decompression',
): string {
  return rules.namesCompressor
    ? `PM: Using ${threads} thread(s) for ${codec} ${dir}`
    : `PM: Using ${threads} thread(s) for ${dir}${rules.doneDot}`;
}
