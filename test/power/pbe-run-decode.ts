/**
 * The reference for ArchRestoreKernel.pbeRun() / PbeChain.runAt(): the run of
 * PBEs from physical address `pa`, decoded from the page's bytes as
 * restore_image reads them — PBE m at pa - 24m while PBE m-1's next is
 * __va(pa - 24m), its address and orig_address __va() of page-aligned frames
 * one step of ±1 from the last. 0 when the bytes say something the answer
 * cannot express (a field outside the direct map or not page aligned).
 */
import type { PhysMem } from '../../src/mm/phys-mem.js';

const DM = 2n ** 47n;

function frameOf(v: bigint, base: bigint): number {
  const d = v - base;
  if (d < 0n || d >= DM || d % 4096n !== 0n) return -1;
  return Number(d / 4096n);
}

export function decodePbeRun(mem: PhysMem, base: bigint, pa: number, max: number, out: Float64Array): number {
  const off = pa % 4096;
  if (max < 1 || off > 4096 - 24) return 0;
  const a0 = frameOf(mem.u64(pa), base);
  const o0 = frameOf(mem.u64(pa + 8), base);
  if (a0 < 0 || o0 < 0) return 0;
  const lim = Math.min(max, Math.floor(off / 24) + 1);
  let n = 1;
  let da = 0;
  let dor = 0;
  for (; n < lim; n++) {
    const at = pa - 24 * n;
    if (mem.u64(at + 24 + 16) !== base + BigInt(at)) break;
    const a = frameOf(mem.u64(at), base);
    const o = frameOf(mem.u64(at + 8), base);
    if (a < 0 || o < 0) break;
    if (n === 1) {
      da = a - a0;
      dor = o - o0;
      if ((da !== 1 && da !== -1) || (dor !== 1 && dor !== -1)) break;
    } else if (a !== a0 + n * da || o !== o0 + n * dor) break;
  }
  const next = mem.u64(pa - 24 * (n - 1) + 16);
  let nx = -1;
  if (next !== 0n) {
    const d = next - base;
    if (d < 0n || d >= DM) return 0;
    nx = Number(d);
  }
  out[0] = a0;
  out[1] = o0;
  out[2] = n > 1 ? da : 0;
  out[3] = n > 1 ? dor : 0;
  out[4] = nx;
  return n;
}
