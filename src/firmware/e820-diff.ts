/**
 * Compare two e820 tables: entries added/removed/changed, the page ranges
 * whose type changed, RAM totals, and the 5.13+ resume verdict (the kernel
 * compares compute_e820_crc32() of e820_table_firmware and refuses on mismatch).
 */
import { e820Crc32 } from './e820-checksum.js';
import { sameE820, sanitizeE820 } from './e820-table.js';
import { E820_TYPE, type E820Diff, type E820Entry, type E820PageChange, isRamLike } from './e820-types.js';

const key = (e: E820Entry): string => `${e.addr}:${e.size}:${e.type}`;

/** Pages wholly inside RAM (RAM and RESERVED_KERN count alike): PFN_UP(start)..PFN_DOWN(end) per merged run. */
export function ramPages(entries: readonly E820Entry[]): bigint {
  const ram = sanitizeE820(
    entries.filter((e) => isRamLike(e.type)).map((e) => ({ ...e, type: E820_TYPE.RAM })),
  );
  let n = 0n;
  for (const e of ram) {
    const first = (e.addr + 0xfffn) >> 12n;
    const last = (e.addr + e.size) >> 12n;
    if (last > first) n += last - first;
  }
  return n;
}

/** Type covering each elementary interval of both tables. */
function pageChanges(a: readonly E820Entry[], b: readonly E820Entry[]): E820PageChange[] {
  const sa = sanitizeE820(a);
  const sb = sanitizeE820(b);
  const pts = new Set<bigint>();
  for (const e of [...sa, ...sb]) {
    pts.add(e.addr);
    pts.add(e.addr + e.size);
  }
  const sorted = [...pts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const typeAt = (t: readonly E820Entry[], at: bigint, idx: { i: number }): number | null => {
    while (idx.i < t.length && t[idx.i]!.addr + t[idx.i]!.size <= at) idx.i++;
    const e = t[idx.i];
    return e && e.addr <= at ? e.type : null;
  };
  const ia = { i: 0 };
  const ib = { i: 0 };
  const ranges: { start: bigint; end: bigint; from: number | null; to: number | null }[] = [];
  for (let k = 0; k + 1 < sorted.length; k++) {
    const s = sorted[k]!;
    const e = sorted[k + 1]!;
    const ta = typeAt(sa, s, ia);
    const tb = typeAt(sb, s, ib);
    if (ta === tb) continue;
    const last = ranges[ranges.length - 1];
    if (last && last.end === s && last.from === ta && last.to === tb) last.end = e;
    else ranges.push({ start: s, end: e, from: ta, to: tb });
  }
  return ranges.map((r) => {
    const startPfn = r.start >> 12n;
    const endPfn = (r.end + 0xfffn) >> 12n;
    return { startPfn, endPfn, pages: endPfn - startPfn, from: r.from, to: r.to };
  });
}

export function diffE820(a: E820Entry[], b: E820Entry[]): E820Diff {
  const ka = new Set(a.map(key));
  const kb = new Set(b.map(key));
  let removed = a.filter((e) => !kb.has(key(e)));
  let added = b.filter((e) => !ka.has(key(e)));
  const changed: { a: E820Entry; b: E820Entry }[] = [];
  for (const r of removed) {
    const m = added.find((x) => x.addr === r.addr);
    if (m) changed.push({ a: r, b: m });
  }
  removed = removed.filter((r) => !changed.some((c) => c.a === r));
  added = added.filter((x) => !changed.some((c) => c.b === x));
  const crcA = e820Crc32(a);
  const crcB = e820Crc32(b);
  return {
    identical: sameE820(a, b),
    added,
    removed,
    changed,
    pages: pageChanges(a, b),
    ramPagesA: ramPages(a),
    ramPagesB: ramPages(b),
    crcA,
    crcB,
    crcDiffers: crcA !== crcB,
  };
}
