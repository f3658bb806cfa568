/**
 * A LIFO of page frame numbers kept as a stack of runs: the resume kernel's
 * safe_pages_list (kernel/power/snapshot.c) holds millions of pfns on a large
 * machine, pushed one at a time but mostly consecutive (a free run of the
 * buddy allocator, taken up or down). A pushed pfn that continues the top run
 * in its direction (or either direction while the top run has one pfn)
 * lengthens it; pop takes the top run's last pfn. The order of pfns popped is
 * exactly the order a plain array stack would give; memory is per run:
 * 8 bytes while pfns fit in 32 bits (below 16 TiB), 12 above.
 *
 * Run r: pfns base[r], base[r] ± 1, …, len(r) of them, pushed in that order;
 *   base[r]  first pfn (Uint32Array, Float64Array once a pfn reaches 2^32)
 *   ld[r]    u32: bit 31 = the run goes down, bits 0–30 = its length
 *            (a run stops growing at 2^31 − 1 pfns; the next push starts another)
 */
const DOWN = 0x80000000;
const MAX_LEN = 0x7fffffff;

export class PfnStack {
  private base: Uint32Array | Float64Array;
  private ld: Uint32Array;
  /** Runs in use. */
  private r = 0;
  /** Pfns held (sum of the lengths). */
  private n = 0;

  constructor(
    /** Every pfn pushed is below this: 32-bit run starts when it allows. */
    pfnLimit: number,
    capacity = 64,
  ) {
    const c = Math.max(1, capacity);
    this.base = pfnLimit <= 2 ** 32 ? new Uint32Array(c) : new Float64Array(c);
    this.ld = new Uint32Array(c);
  }

  get length(): number {
    return this.n;
  }

  /** Runs held (the stack's memory is proportional to this). */
  get runs(): number {
    return this.r;
  }

  push(pfn: number): void {
    const t = this.r - 1;
    if (t >= 0) {
      const ld = this.ld[t]!;
      const len = ld & MAX_LEN;
      const b = this.base[t]!;
      if (len === 1) {
        if (pfn === b + 1 || pfn === b - 1) {
          this.ld[t] = pfn < b ? (DOWN | 2) >>> 0 : 2;
          this.n++;
          return;
        }
      } else if (len < MAX_LEN && pfn === (ld & DOWN ? b - len : b + len)) {
        this.ld[t] = ld + 1;
        this.n++;
        return;
      }
    }
    if (this.r === this.ld.length) this.grow();
    if (pfn >= 2 ** 32 && this.base instanceof Uint32Array) this.base = Float64Array.from(this.base);
    this.base[this.r] = pfn;
    this.ld[this.r] = 1;
    this.r++;
    this.n++;
  }

  /** The last pfn pushed, removed; undefined when empty. */
  pop(): number | undefined {
    if (this.r === 0) return undefined;
    const t = this.r - 1;
    const ld = this.ld[t]!;
    const len = (ld & MAX_LEN) - 1;
    const b = this.base[t]!;
    const pfn = ld & DOWN ? b - len : b + len;
    if (len === 0) this.r--;
    else this.ld[t] = len === 1 ? 1 : ld - 1;
    this.n--;
    return pfn;
  }

  /** The pfn pop() would return; undefined when empty. */
  peek(): number | undefined {
    if (this.r === 0) return undefined;
    const ld = this.ld[this.r - 1]!;
    const len = (ld & MAX_LEN) - 1;
    const b = this.base[this.r - 1]!;
    return ld & DOWN ? b - len : b + len;
  }

  /** How many pops from now return the top run's pfns: peek(), peek() + topStep, … */
  get topLength(): number {
    return this.r === 0 ? 0 : this.ld[this.r - 1]! & MAX_LEN;
  }

  /** The difference between consecutive pops inside the top run (−1 for a run pushed upwards, +1 downwards). */
  get topStep(): number {
    return this.r > 0 && this.ld[this.r - 1]! & DOWN ? 1 : -1;
  }

  /** pop() `k` times, k ≤ topLength (the pfns are peek() + i × topStep). */
  popRun(k: number): void {
    if (k <= 0) return;
    const t = this.r - 1;
    const ld = t < 0 ? 0 : this.ld[t]!;
    const len = ld & MAX_LEN;
    if (k > len) throw new Error(`PfnStack.popRun: ${k} pops from a top run of ${len}`);
    const left = len - k;
    if (left === 0) this.r--;
    else this.ld[t] = left === 1 ? 1 : ld - k;
    this.n -= k;
  }

  /**
   * The pfns the next `k` pop()s would return (k ≤ length), in pop order, into
   * out[0..k): the top run from its end, then the runs below it. Reads only.
   */
  peekInto(out: Float64Array, k: number): void {
    let i = 0;
    for (let t = this.r - 1; t >= 0 && i < k; t--) {
      const ld = this.ld[t]!;
      const len = ld & MAX_LEN;
      const b = this.base[t]!;
      const down = (ld & DOWN) !== 0;
      // Pop order within a run: its last pushed pfn first.
      for (let j = len - 1; j >= 0 && i < k; j--) out[i++] = down ? b - j : b + j;
    }
    if (i < k) throw new Error(`PfnStack.peekInto: ${k} pfns from a stack of ${this.n}`);
  }

  /** pop() `k` times (k ≤ length), across runs. */
  popN(k: number): void {
    if (k > this.n) throw new Error(`PfnStack.popN: ${k} pops from a stack of ${this.n}`);
    while (k > 0) {
      const top = this.topLength;
      const take = Math.min(top, k);
      this.popRun(take);
      k -= take;
    }
  }

  clear(): void {
    this.r = 0;
    this.n = 0;
  }

  private grow(): void {
    // ×1.5: the slack of a large stack is a third of it, not as much again.
    const c = Math.ceil(this.ld.length * 1.5) + 1;
    const b = this.base instanceof Uint32Array ? new Uint32Array(c) : new Float64Array(c);
    b.set(this.base);
    this.base = b;
    const l = new Uint32Array(c);
    l.set(this.ld);
    this.ld = l;
  }
}
