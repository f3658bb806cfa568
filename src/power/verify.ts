/**
 * After the jump back: does every image pfn's frame hold what it held at
 * hibernation? Not a kernel step — the model's check that a resume restored
 * the machine (the kernel trusts the copy; a wrong page shows up later as
 * corruption). Zero pages (6.6+) must read as zeros, the others must match
 * the digest taken while the image was written.
 *
 * verifyRestoreAsync() does the same check with the page generation moved
 * to the compression pool: a frame whose contents are a generated page
 * (PhysMem.generatedDescriptor()) is sent as its descriptor and the pool
 * returns the digest of the page it makes; other frames are digested here.
 * The result is the same as verifyRestore()'s.
 */
import type { Machine } from '../machine/boot.js';
import { isZeroPage, pageDigest } from '../workload/content.js';
import { type ChunkPool, digestGenerated, GEN_WORDS } from './compress/pool.js';
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
    tally(r, good, pfn);
  }
  return r;
}

function tally(r: VerifyResult, good: boolean, pfn: number): void {
  r.checked++;
  if (good) r.ok++;
  else {
    r.bad++;
    if (r.firstBad === undefined || pfn < r.firstBad) r.firstBad = pfn;
  }
}

/** Pages per pool call: 64 Ki descriptors (768 KiB), two calls in flight. */
const VERIFY_BATCH = 65536;

export async function verifyRestoreAsync(
  m: Machine,
  man: ImageManifest,
  pool?: ChunkPool,
): Promise<VerifyResult> {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  const bytes = new Uint8Array(PAGE_SIZE);
  const digest = (d: Uint32Array) =>
    pool?.digestGenerated ? pool.digestGenerated(d) : Promise.resolve(digestGenerated(d));
  let pending: { descs: Uint32Array; idx: Int32Array; n: number; p: Promise<Uint32Array> } | null = null;
  const settle = async (b: NonNullable<typeof pending>) => {
    const got = await b.p;
    for (let k = 0; k < b.n; k++) {
      const i = b.idx[k]!;
      tally(r, got[k] === man.digest[i], man.pfns[i]!);
    }
  };
  const batch = Math.max(1, Math.min(VERIFY_BATCH, man.count));
  let descs = new Uint32Array(batch * GEN_WORDS);
  let idx = new Int32Array(batch);
  let n = 0;
  for (let i = 0; i < man.count; i++) {
    const pfn = man.pfns[i]!;
    if (!man.zero[i] && m.mem.generatedDescriptor(pfn, descs, n * GEN_WORDS)) {
      idx[n++] = i;
      if (n === batch) {
        const b = { descs, idx, n, p: digest(descs) };
        if (pending) await settle(pending);
        pending = b;
        descs = new Uint32Array(batch * GEN_WORDS);
        idx = new Int32Array(batch);
        n = 0;
      }
      continue;
    }
    m.mem.readPageInto(pfn, bytes);
    tally(r, man.zero[i] ? isZeroPage(bytes) : pageDigest(bytes) === man.digest[i], pfn);
  }
  if (pending) await settle(pending);
  if (n > 0) await settle({ descs, idx, n, p: digest(descs.subarray(0, n * GEN_WORDS)) });
  return r;
}
