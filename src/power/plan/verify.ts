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

/**
 * mem.unmaterialisedRun(p, span) for queries p mostly ascending: the first
 * frame holding bytes at or after the last search point (searched `horizon`
 * frames ahead, at least the query's span) answers every query up to it. An
 * answer is the true run or shorter (at the search horizon), and a shorter
 * one only sends a page to the byte comparison, which gives the same verdict.
 */
class UnmaterialisedCursor {
  /** Frames [from, next) hold no bytes; `next` holds bytes when `real`, else is the search horizon. */
  private from = 0;
  private next = -1;
  private real = false;

  constructor(
    private readonly mem: PhysMem,
    private readonly horizon: number,
  ) {}

  /** unmaterialisedRun(p, span), searching at least `ahead` frames when it searches. */
  run(p: number, span: number, ahead = 0): number {
    if (p < this.from || p > this.next || (!this.real && p + span > this.next)) {
      const h = Math.max(span, ahead, this.horizon);
      const d = this.mem.unmaterialisedRun(p, h);
      this.from = p;
      this.next = p + d;
      this.real = d < h;
    }
    return Math.min(span, this.next - p);
  }
}

export function planVerify(
  m: Machine,
  content: ContentMap,
  man: ImageManifest,
  image: PlannedImage,
): VerifyResult {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  // The copy frames of the non-zero pages, in order (data page k → frame).
  const frames = image.copyFrameCursor();
  let k = 0;
  const mem = m.mem;
  const from = image.machine.mem;
  // The manifest's pfns ascend, and so do the copy frames within a copy run: the first frame
  // holding bytes at or after a query answers the next queries too (nothing changes either
  // memory while it is verified).
  const restored = new UnmaterialisedCursor(mem, 1 << 15);
  const copies = new UnmaterialisedCursor(from, 0);
  const count = (pfn: number, good: boolean): void => {
    r.checked++;
    if (good) r.ok++;
    else {
      r.bad++;
      if (r.firstBad === undefined) r.firstBad = pfn;
    }
  };
  // The manifest's pfns run by run (no digests: plan mode has none).
  const L = man.pfns;
  for (let run = 0; run < L.runs; run++) {
    const zero = L.runIsZero(run);
    let pfn = L.runStart(run);
    const e = pfn + L.runLength(run);
    if (zero) {
      for (; pfn < e; pfn++) count(pfn, readsZero(mem, content, pfn));
      continue;
    }
    while (pfn < e) {
      const f = frames.at(k);
      if (f < 0) {
        // Past the last copy frame (a manifest longer than the image): no frame, as the generator's undefined.
        count(pfn, sameContent(mem, content, pfn, from, image.content, undefined as unknown as number));
        pfn++;
        k++;
        continue;
      }
      // Pages whose frames are consecutive on both sides and hold no bytes: sameContent() is
      // their descriptor test, a stretch at a time; the first that differs is compared by bytes.
      const span = Math.min(e - pfn, frames.left);
      const plain = Math.min(restored.run(pfn, span), copies.run(f, span, frames.left));
      const same = plain > 0 ? content.sameDescriptorRun(pfn, image.content, f, plain) : 0;
      r.checked += same;
      r.ok += same;
      pfn += same;
      k += same;
      if (same < span) {
        count(pfn, sameContent(mem, content, pfn, from, image.content, f + same));
        pfn++;
        k++;
      }
    }
  }
  return r;
}
