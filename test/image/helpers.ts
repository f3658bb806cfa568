/** Small helpers for the image tests: captured CLI io, baselines, hogmem pattern. */
import { expectBaseline } from '../helpers/baseline.js';

export { type Captured, cli } from '../helpers/cli.js';

/** Compare with test/baselines/image/<name>; rewrite it only when UPDATE_BASELINES=1. */
export function matchBaseline(name: string, actual: string): void {
  expectBaseline('image', name, actual);
}

/** hogmem page i as the fixture README specifies it ("hogmem page pattern"). */
export function hogmemPage(i: number, total: number, pid: number): Uint8Array {
  const p = new Uint8Array(4096);
  const dv = new DataView(p.buffer);
  const tag = 'HIBLAB-PAGE-V1';
  for (let k = 0; k < tag.length; k++) p[k] = tag.charCodeAt(k);
  dv.setBigUint64(16, BigInt(i), true);
  dv.setBigUint64(24, BigInt(total), true);
  dv.setUint32(32, pid, true);
  dv.setUint32(36, 0x48424c42, true);
  dv.setBigUint64(40, BigInt.asUintN(64, ~BigInt(i)), true);
  for (let off = 48; off < 4096; off++) p[off] = (off * 7 + i) & 0xff;
  return p;
}
