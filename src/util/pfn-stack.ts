/**
 * A LIFO of page frame numbers in a typed array: 4 bytes a pfn while they fit
 * in 32 bits (machines below 16 TiB), 8 above. A JS number[] costs 8 bytes an
 * entry plus its growth slack, and the resume kernel's safe_pages_list holds
 * millions of pfns on a large machine.
 */
export class PfnStack {
  private a: Uint32Array | Float64Array;
  private n = 0;

  constructor(
    /** Every pfn pushed is below this. */
    pfnLimit: number,
    capacity = 1024,
  ) {
    this.a = pfnLimit <= 2 ** 32 ? new Uint32Array(capacity) : new Float64Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  push(pfn: number): void {
    if (this.n === this.a.length) {
      // ×1.5: the slack of a large stack is a third of it, not as much again.
      const g =
        this.a instanceof Uint32Array
          ? new Uint32Array(Math.ceil(this.a.length * 1.5))
          : new Float64Array(Math.ceil(this.a.length * 1.5));
      g.set(this.a);
      this.a = g;
    }
    this.a[this.n++] = pfn;
  }

  /** The last pfn pushed, removed; undefined when empty. */
  pop(): number | undefined {
    return this.n === 0 ? undefined : this.a[--this.n];
  }

  clear(): void {
    this.n = 0;
  }
}
