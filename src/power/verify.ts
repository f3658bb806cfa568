/**
 * After the jump back: does every image pfn's frame hold what it held at
 * hibernation? Not a kernel step — the model's check that a resume restored
 * the machine (the kernel trusts the copy; a wrong page shows up later as
 * corruption). Zero pages (6.6+) must read as zeros, the others must match
 * the digest taken while the image was written.
 */
import type { Machine } from '../machine/boot.js';
import { isZeroPage, pageDigest } from '../workload/content.js';
import type { ImageManifest } from './hibernate.js';
import { PAGE_SIZE } from './snapshot/kernel-heap.js';

export interface VerifyResult {
  checked: number;
  ok: number;
  bad: number;
  firstBad?: number;
}

export function verifyRestore(m: Machine, man: ImageManifest): VerifyResult {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  const bytes = new Uint8Array(PAGE_SIZE);
  for (let i = 0; i < man.count; i++) {
    const pfn = man.pfns[i]!;
    m.mem.readPageInto(pfn, bytes);
    const good = man.zero[i] ? isZeroPage(bytes) : pageDigest(bytes) === man.digest[i];
    r.checked++;
    if (good) r.ok++;
    else {
      r.bad++;
      if (r.firstBad === undefined) r.firstBad = pfn;
    }
  }
  return r;
}
