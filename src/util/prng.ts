/**
 * Deterministic pseudo-random numbers. Everything random in hiblab (KASLR
 * offsets, workload placement, page contents) comes from here, seeded, so that
 * the same scenario + seed gives the same bytes on every machine.
 *
 * splitmix64 for seeding and xoshiro128** for the stream: both are tiny, well
 * studied and fast in 32-bit JS arithmetic.
 */

/** splitmix64 step on a bigint state; returns [next state, output]. */
export function splitmix64(state: bigint): [bigint, bigint] {
  const s = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
  let z = s;
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return [s, z ^ (z >> 31n)];
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | bigint | string) {
    let s: bigint;
    if (typeof seed === 'string') {
      // FNV-1a over the string, so named seeds are stable.
      let h = 0xcbf29ce484222325n;
      for (let i = 0; i < seed.length; i++) {
        h = BigInt.asUintN(64, (h ^ BigInt(seed.charCodeAt(i))) * 0x100000001b3n);
      }
      s = h;
    } else {
      s = BigInt.asUintN(64, BigInt(seed));
    }
    const [s1, o1] = splitmix64(s);
    const [, o2] = splitmix64(s1);
    this.a = Number(o1 & 0xffffffffn) | 0;
    this.b = Number(o1 >> 32n) | 0;
    this.c = Number(o2 & 0xffffffffn) | 0;
    this.d = Number(o2 >> 32n) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Next unsigned 64-bit integer. */
  nextU64(): bigint {
    const hi = BigInt(this.nextU32());
    const lo = BigInt(this.nextU32());
    return (hi << 32n) | lo;
  }

  /** Integer in [0, n) for n ≤ 2^32 (rejection sampling, no modulo bias). */
  below(n: number): number {
    if (n <= 0) return 0;
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Float in [0, 1). */
  float(): number {
    return this.nextU32() / 0x100000000;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
