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
 *
 * A frame that still holds exactly the descriptor the writer digested for
 * that list entry (ImageManifest.digestSources: the generated page of the
 * entry's own pfn with the manifest's seed) is not made again: generatePage()
 * is a pure function of (kind, seed, pfn), so the pool would return the very
 * digest the writer stored and the comparison is true. Only frames whose
 * descriptor differs (a page restored to the wrong place, a different seed
 * or source) or that hold bytes are digested.
 */
import { ModelError } from '../errors.js';
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

/** The manifest's page digests: a full run's (plan mode keeps none and verifies with planVerify()). */
function digestsOf(man: ImageManifest): Uint32Array {
  if (!man.digest)
    throw new ModelError('NO_DIGESTS', 'verifyRestore: the manifest has no page digests (plan mode)');
  return man.digest;
}

export function verifyRestore(m: Machine, man: ImageManifest): VerifyResult {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  const bytes = new Uint8Array(PAGE_SIZE);
  const digest = digestsOf(man);
  const L = man.pfns;
  for (let run = 0, i = 0; run < L.runs; run++) {
    const zero = L.runIsZero(run);
    for (let pfn = L.runStart(run), e = pfn + L.runLength(run); pfn < e; pfn++, i++) {
      m.mem.readPageInto(pfn, bytes);
      const good = zero ? isZeroPage(bytes) : pageDigest(bytes) === digest[i];
      tally(r, good, pfn);
    }
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
  const want = digestsOf(man);
  const digest = (d: Uint32Array) =>
    pool?.digestGenerated ? pool.digestGenerated(d) : Promise.resolve(digestGenerated(d));
  type Batch = { descs: Uint32Array; idx: Int32Array; pfn: Float64Array; n: number; p: Promise<Uint32Array> };
  let pending: Batch | null = null;
  const settle = async (b: Batch) => {
    const got = await b.p;
    for (let k = 0; k < b.n; k++) tally(r, got[k] === want[b.idx[k]!], b.pfn[k]!);
  };
  const batch = Math.max(1, Math.min(VERIFY_BATCH, man.count));
  let descs = new Uint32Array(batch * GEN_WORDS);
  let idx = new Int32Array(batch);
  let pfns = new Float64Array(batch);
  let n = 0;
  const L = man.pfns;
  const srcKind = man.digestSources?.kind ?? null;
  const srcSeed = man.digestSources?.seed ?? -1;
  for (let run = 0, i = 0; run < L.runs; run++) {
    const zero = L.runIsZero(run);
    for (let pfn = L.runStart(run), e = pfn + L.runLength(run); pfn < e; pfn++, i++) {
      if (!zero && m.mem.generatedDescriptor(pfn, descs, n * GEN_WORDS)) {
        const g = n * GEN_WORDS;
        // The descriptor the writer digested for entry i: that digest, by construction.
        if (srcKind !== null && descs[g] === srcKind[i] && descs[g + 1] === srcSeed && descs[g + 2] === pfn) {
          tally(r, true, pfn);
          continue;
        }
        idx[n] = i;
        pfns[n++] = pfn;
        if (n === batch) {
          const b: Batch = { descs, idx, pfn: pfns, n, p: digest(descs) };
          if (pending) await settle(pending);
          pending = b;
          descs = new Uint32Array(batch * GEN_WORDS);
          idx = new Int32Array(batch);
          pfns = new Float64Array(batch);
          n = 0;
        }
        continue;
      }
      // A zero page restored as "no contents" (put() discards it): nothing can make it non-zero.
      if (zero && !m.mem.isMaterialised(pfn) && !m.mem.isGenerated(pfn)) {
        tally(r, true, pfn);
        continue;
      }
      m.mem.readPageInto(pfn, bytes);
      tally(r, zero ? isZeroPage(bytes) : pageDigest(bytes) === want[i], pfn);
    }
  }
  if (pending) await settle(pending);
  if (n > 0) await settle({ descs, idx, pfn: pfns, n, p: digest(descs.subarray(0, n * GEN_WORDS)) });
  return r;
}
