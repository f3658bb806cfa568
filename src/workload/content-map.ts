/**
 * Per-frame content descriptors: which generated page a frame holds.
 *
 * Layout per present 128 MiB section (32768 frames), allocated on first use:
 *   kind  Uint8Array   ContentKind (0 = none: the frame reads as zero or as
 *                      whatever was materialised in PhysMem)
 *   seed  Uint8Array   index into `seeds` (the scenario seed of the boot that
 *                      produced the contents)
 *   src   Uint32Array  pfn the contents were generated for (the frame's own
 *                      pfn, or the original pfn when the frame holds a copy:
 *                      a snapshot copy page, a PBE safe page, a restored page)
 * 6 bytes per frame: a 64 GiB model costs ~96 MiB of descriptors, no page bytes.
 */
import type { PageContentProvider } from '../mm/phys-mem.js';
import { ContentKind, generatePage } from './content.js';

const SECTION_SHIFT = 15;
const PER_SECTION = 1 << SECTION_SHIFT;

interface SectionDesc {
  kind: Uint8Array;
  seed: Uint8Array;
  src: Uint32Array;
}

export interface ContentDescriptor {
  kind: number;
  seed: number;
  src: number;
}

export class ContentMap implements PageContentProvider {
  private readonly sections = new Map<number, SectionDesc>();
  private readonly seeds: number[] = [];
  private count = 0;

  /** Register a seed; returns its index (reuses an existing one). */
  seedIndex(seed: number): number {
    const i = this.seeds.indexOf(seed >>> 0);
    if (i >= 0) return i;
    if (this.seeds.length >= 255) throw new RangeError('too many content seeds');
    this.seeds.push(seed >>> 0);
    return this.seeds.length - 1;
  }

  private section(pfn: number, create: true): SectionDesc;
  private section(pfn: number, create: false): SectionDesc | undefined;
  private section(pfn: number, create: boolean): SectionDesc | undefined {
    const s = Math.floor(pfn / PER_SECTION);
    let d = this.sections.get(s);
    if (!d && create) {
      d = {
        kind: new Uint8Array(PER_SECTION),
        seed: new Uint8Array(PER_SECTION),
        src: new Uint32Array(PER_SECTION),
      };
      this.sections.set(s, d);
    }
    return d;
  }

  /** Give frame `pfn` generated contents (kind, seed, src). */
  set(pfn: number, kind: number, seed: number, src = pfn): void {
    const d = this.section(pfn, true);
    const i = pfn % PER_SECTION;
    if (d.kind[i] === ContentKind.NONE && kind !== ContentKind.NONE) this.count++;
    else if (d.kind[i] !== ContentKind.NONE && kind === ContentKind.NONE) this.count--;
    d.kind[i] = kind;
    d.seed[i] = this.seedIndex(seed);
    d.src[i] = src;
  }

  /** Copy frame `from`'s descriptor to frame `to` (a page copy in the model). */
  copy(from: number, to: number): void {
    const d = this.get(from);
    if (d) this.set(to, d.kind, d.seed, d.src);
    else this.clear(to);
  }

  clear(pfn: number): void {
    const d = this.section(pfn, false);
    if (!d) return;
    const i = pfn % PER_SECTION;
    if (d.kind[i] !== ContentKind.NONE) this.count--;
    d.kind[i] = ContentKind.NONE;
  }

  get(pfn: number): ContentDescriptor | undefined {
    const d = this.section(pfn, false);
    if (!d) return undefined;
    const i = pfn % PER_SECTION;
    const kind = d.kind[i]!;
    if (kind === ContentKind.NONE) return undefined;
    return { kind, seed: this.seeds[d.seed[i]!]!, src: d.src[i]! };
  }

  kind(pfn: number): number {
    const d = this.section(pfn, false);
    return d ? d.kind[pfn % PER_SECTION]! : ContentKind.NONE;
  }

  /** Frames with a descriptor. */
  get size(): number {
    return this.count;
  }

  covers(pfn: number): boolean {
    return this.kind(pfn) !== ContentKind.NONE;
  }

  fill(pfn: number, dst: Uint8Array): void {
    const d = this.get(pfn);
    if (d) generatePage(d.kind, d.seed, d.src, 0, dst);
  }

  /**
   * The descriptors as runs [firstPfn, count, kind, seedIndex, firstSrc] of
   * consecutive frames with one kind and seed and consecutive src pfns, plus the
   * seed table (for dumps).
   */
  runs(): { seeds: number[]; runs: number[][] } {
    const runs: number[][] = [];
    const secs = [...this.sections.keys()].sort((a, b) => a - b);
    let cur: number[] | null = null;
    for (const sec of secs) {
      const d = this.sections.get(sec)!;
      for (let i = 0; i < PER_SECTION; i++) {
        const kind = d.kind[i]!;
        if (kind === ContentKind.NONE) {
          cur = null;
          continue;
        }
        const pfn = sec * PER_SECTION + i;
        if (
          cur &&
          cur[0]! + cur[1]! === pfn &&
          cur[2] === kind &&
          cur[3] === d.seed[i] &&
          cur[4]! + cur[1]! === d.src[i]
        ) {
          cur[1]!++;
        } else {
          cur = [pfn, 1, kind, d.seed[i]!, d.src[i]!];
          runs.push(cur);
        }
      }
    }
    return { seeds: [...this.seeds], runs };
  }

  /** Bytes the descriptor stands for (generated into `dst`); false when the frame has none. */
  generate(desc: ContentDescriptor, dst: Uint8Array): void {
    generatePage(desc.kind, desc.seed, desc.src, 0, dst);
  }
}
