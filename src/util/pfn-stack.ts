/**
 * A LIFO of page frame numbers kept as a stack of runs: the resume kernel's
 * safe_pages_list (kernel/power/snapshot.c) holds millions of pfns on a large
 * machine, pushed one at a time but mostly consecutive (a free run of the
 * buddy allocator, taken up or down). A pushed pfn that continues the top run
 * in its direction (or either direction while the top run has one pfn)
 * lengthens it; pop takes the top run's last pfn. The order of pfns popped is
 * exactly the order a plain array stack would give; memory is per run.
 *
 * Run r: pfns base[r], base[r] + dir[r], …, base[r] + dir[r]·(len[r] − 1),
 * pushed in that order; dir is +1 or −1 (meaningless while len is 1).
 */
export class PfnStack {
  private base: Float64Array;
  private len: Float64Array;
  private dir: Int8Array;
  /** Runs in use. */
  private r = 0;
  /** Pfns held (sum of len). */
  private n = 0;

  constructor(
    /** Every pfn pushed is below this (kept for the callers; runs hold any pfn below 2^53). */
    _pfnLimit: number,
    capacity = 64,
  ) {
    const c = Math.max(1, capacity);
    this.base = new Float64Array(c);
    this.len = new Float64Array(c);
    this.dir = new Int8Array(c);
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
      const len = this.len[t]!;
      const b = this.base[t]!;
      if (len === 1 && (pfn === b + 1 || pfn === b - 1)) {
        this.dir[t] = pfn - b;
        this.len[t] = 2;
        this.n++;
        return;
      }
      if (len > 1 && pfn === b + this.dir[t]! * len) {
        this.len[t] = len + 1;
        this.n++;
        return;
      }
    }
    if (this.r === this.base.length) this.grow();
    this.base[this.r] = pfn;
    this.len[this.r] = 1;
    this.dir[this.r] = 1;
    this.r++;
    this.n++;
  }

  /** The last pfn pushed, removed; undefined when empty. */
  pop(): number | undefined {
    if (this.r === 0) return undefined;
    const t = this.r - 1;
    const len = this.len[t]! - 1;
    const pfn = this.base[t]! + this.dir[t]! * len;
    if (len === 0) this.r--;
    else this.len[t] = len;
    this.n--;
    return pfn;
  }

  clear(): void {
    this.r = 0;
    this.n = 0;
  }

  private grow(): void {
    // ×1.5: the slack of a large stack is a third of it, not as much again.
    const c = Math.ceil(this.base.length * 1.5) + 1;
    const b = new Float64Array(c);
    b.set(this.base);
    this.base = b;
    const l = new Float64Array(c);
    l.set(this.len);
    this.len = l;
    const d = new Int8Array(c);
    d.set(this.dir);
    this.dir = d;
  }
}
