/**
 * verifyRestore() of plan mode: does every image pfn's frame hold what it
 * held at hibernation? Without digests: a restored frame is compared with the
 * hibernated kernel's copy frame of that page by content descriptor (the same
 * generated page ⇔ the same kind, seed and source pfn; the same kernel-data
 * frame ⇔ the same provider and frame). Only when descriptors differ, or a
 * side is materialised, are the two pages' bytes compared — so a plan
 * verification counts exactly the pages a full one finds bad.
 */
import type { Machine } from '../../machine/boot.js';
import type { PhysMem } from '../../mm/phys-mem.js';
import { ContentKind, isZeroPage } from '../../workload/content.js';
import type { ContentMap } from '../../workload/content-map.js';
import type { ImageManifest } from '../hibernate.js';
import { PAGE_SIZE } from '../snapshot/kernel-heap.js';
import type { VerifyResult } from '../verify.js';
import type { PlannedImage } from './image.js';

const bufA = new Uint8Array(PAGE_SIZE);
const bufB = new Uint8Array(PAGE_SIZE);

/** Does frame `pfn` read as all zero? */
function readsZero(mem: PhysMem, content: ContentMap, pfn: number): boolean {
  if (!mem.isMaterialised(pfn)) {
    const k = content.kind(pfn);
    if (k === ContentKind.NONE || k === ContentKind.ZERO) return true;
    if (k !== ContentKind.KDATA) return false; // generated kinds other than ZERO are never all zero
    const z = content.kdataIsZero(pfn); // a memmap frame: its provider knows without the bytes
    if (z !== undefined) return z;
  }
  mem.readPageInto(pfn, bufA);
  return isZeroPage(bufA);
}

/**
 * Do frame `a` of one memory and frame `b` of another read the same bytes?
 * Two unmaterialised frames with the same descriptor (the usual case: the
 * same generated page ⇔ kind, seed and source pfn; the same kernel-data frame
 * ⇔ provider and frame; both zero) do; otherwise the bytes are compared.
 */
export function sameContent(
  memA: PhysMem,
  contA: ContentMap,
  a: number,
  memB: PhysMem,
  contB: ContentMap,
  b: number,
): boolean {
  if (!memA.isMaterialised(a) && !memB.isMaterialised(b) && contA.sameDescriptor(a, contB, b)) return true;
  // Different descriptors (or bytes on a side): compare what the frames read.
  memA.readPageInto(a, bufA);
  memB.readPageInto(b, bufB);
  const x = new Uint32Array(bufA.buffer, 0, PAGE_SIZE / 4);
  const y = new Uint32Array(bufB.buffer, 0, PAGE_SIZE / 4);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function planVerify(
  m: Machine,
  content: ContentMap,
  man: ImageManifest,
  image: PlannedImage,
): VerifyResult {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  // The copy frames of the non-zero pages, in order.
  const nextFrame = image.copyFrameReader();
  const from = image.machine.mem;
  // The manifest's pfns run by run (no digests: plan mode has none).
  const L = man.pfns;
  for (let run = 0; run < L.runs; run++) {
    const zero = L.runIsZero(run);
    for (let pfn = L.runStart(run), e = pfn + L.runLength(run); pfn < e; pfn++) {
      let good: boolean;
      if (zero) good = readsZero(m.mem, content, pfn);
      else {
        const f = nextFrame();
        // Past the last copy frame (a manifest longer than the image): no frame, as the generator's undefined.
        const src = f < 0 ? (undefined as unknown as number) : f;
        good = sameContent(m.mem, content, pfn, from, image.content, src);
      }
      r.checked++;
      if (good) r.ok++;
      else {
        r.bad++;
        if (r.firstBad === undefined) r.firstBad = pfn;
      }
    }
  }
  return r;
}
