/**
 * The kernel's e820 table edits, on plain arrays of entries.
 *
 * The kernel edits a fixed array in place and re-sorts it with
 * sanitize_e820_map() (3.10) / e820__update_table() (6.x); here every edit
 * returns a new array. Only the resulting set of (range, type) matters because
 * every caller sanitizes before anything reads the table.
 */
import type { KernelProfile } from '../profiles/types.js';
import type { E820Entry, E820TypeValue } from './e820-types.js';

export const U64_MAX = (1n << 64n) - 1n;

/**
 * Sanitize a table: mirrors sanitize_e820_map() (arch/x86/kernel/e820.c, 3.10)
 * and e820__update_table() (6.x), which share the rule:
 *  - a table with fewer than 2 entries is returned unchanged (the kernel bails out, -1);
 *  - any entry whose end overflows u64 makes the kernel bail out: unchanged;
 *  - zero-sized entries are dropped;
 *  - where entries overlap, the HIGHER type value wins ("if (overlap_list[i]->type >
 *    current_type) current_type = …" in the change-point loop);
 *  - touching entries of the same type are merged; the output is sorted.
 * `profile` is accepted for symmetry: 3.10 and 6.x apply the same precedence.
 */
export function sanitizeE820(entries: readonly E820Entry[], _profile?: KernelProfile): E820Entry[] {
  if (entries.length < 2) return entries.map((e) => ({ addr: e.addr, size: e.size, type: e.type }));
  for (const e of entries)
    if (e.addr < 0n || e.size < 0n || e.addr + e.size - 1n > U64_MAX) return [...entries];
  return sortedDisjoint(entries) ? mergeTouching(entries) : changePoints(entries);
}

/**
 * Are the non-empty entries in address order without overlaps (and no type 0,
 * which the change-point loop reads as "no entry")? Real firmware tables are:
 * for them the change-point result is just the entries with touching
 * same-type neighbours merged, computed in one pass without the 2n change
 * points (a 100k-entry table sanitized several times per boot).
 */
function sortedDisjoint(entries: readonly E820Entry[]): boolean {
  let end = -1n;
  for (const e of entries) {
    if (e.size === 0n) continue;
    if (e.type === 0 || e.addr < end) return false;
    end = e.addr + e.size;
  }
  return true;
}

function mergeTouching(entries: readonly E820Entry[]): E820Entry[] {
  const out: { addr: bigint; size: bigint; type: E820TypeValue }[] = [];
  let last: { addr: bigint; size: bigint; type: E820TypeValue } | undefined;
  for (const e of entries) {
    if (e.size === 0n) continue;
    if (last && last.type === e.type && last.addr + last.size === e.addr) {
      last.size += e.size;
      continue;
    }
    last = { addr: e.addr, size: e.size, type: e.type };
    out.push(last);
  }
  return out;
}

/** The kernel's change-point loop (any table; exported for the property test of the fast path). */
export function changePoints(entries: readonly E820Entry[]): E820Entry[] {
  // Change points: +type at start, -type at end. Sorted by address; at one address
  // all changes apply before the type of the following interval is read.
  const points: { at: bigint; type: number; delta: 1 | -1 }[] = [];
  for (const e of entries) {
    if (e.size === 0n) continue;
    points.push({ at: e.addr, type: e.type, delta: 1 });
    points.push({ at: e.addr + e.size, type: e.type, delta: -1 });
  }
  points.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const active = new Map<number, number>();
  const out: E820Entry[] = [];
  let lastType = 0;
  let lastStart = 0n;
  let i = 0;
  while (i < points.length) {
    const at = points[i]!.at;
    for (; i < points.length && points[i]!.at === at; i++) {
      const p = points[i]!;
      const n = (active.get(p.type) ?? 0) + p.delta;
      if (n === 0) active.delete(p.type);
      else active.set(p.type, n);
    }
    let current = 0;
    for (const t of active.keys()) if (t > current) current = t;
    if (current !== lastType) {
      if (lastType !== 0) out.push({ addr: lastStart, size: at - lastStart, type: lastType });
      lastStart = at;
      lastType = current;
    }
  }
  return out;
}

/** Clamp size so start + size does not overflow, as __e820__range_update / e820__range_remove do. */
function clampSize(start: bigint, size: bigint): bigint {
  return size > U64_MAX - start ? U64_MAX - start : size;
}

/**
 * Retype [start, start+size) of entries of `oldType` to `newType`.
 * Mirrors __e820__range_update() (6.x) / __e820_update_range() (3.10): only
 * bytes of entries with type == oldType change; nothing else is touched.
 */
export function e820RangeUpdate(
  entries: readonly E820Entry[],
  start: bigint,
  size: bigint,
  oldType: E820TypeValue,
  newType: E820TypeValue,
): E820Entry[] {
  const end = start + clampSize(start, size);
  const out: E820Entry[] = [];
  const added: E820Entry[] = [];
  for (const e of entries) {
    const eEnd = e.addr + e.size;
    if (e.type !== oldType || eEnd <= start || e.addr >= end) {
      out.push(e);
      continue;
    }
    const fs = e.addr > start ? e.addr : start;
    const fe = eEnd < end ? eEnd : end;
    if (e.addr < fs) out.push({ addr: e.addr, size: fs - e.addr, type: e.type });
    if (fe < eEnd) out.push({ addr: fe, size: eEnd - fe, type: e.type });
    // The kernel appends the retyped piece at the end of the table.
    added.push({ addr: fs, size: fe - fs, type: newType });
  }
  return [...out, ...added];
}

/**
 * Remove [start, start+size) from entries (of `oldType` when it is not null).
 * Mirrors e820__range_remove(start, size, old_type, check_type) (6.x) /
 * e820_remove_range() (3.10).
 */
export function e820RangeRemove(
  entries: readonly E820Entry[],
  start: bigint,
  size: bigint,
  oldType: E820TypeValue | null,
): E820Entry[] {
  const end = start + clampSize(start, size);
  const out: E820Entry[] = [];
  for (const e of entries) {
    const eEnd = e.addr + e.size;
    if ((oldType !== null && e.type !== oldType) || eEnd <= start || e.addr >= end) {
      out.push(e);
      continue;
    }
    if (e.addr < start) out.push({ addr: e.addr, size: start - e.addr, type: e.type });
    if (end < eEnd) out.push({ addr: end, size: eEnd - end, type: e.type });
  }
  return out;
}

/** Append an entry: e820__range_add() / e820_add_region(). Zero size is ignored by the next sanitize. */
export function e820RangeAdd(
  entries: readonly E820Entry[],
  start: bigint,
  size: bigint,
  type: E820TypeValue,
): E820Entry[] {
  return [...entries, { addr: start, size: clampSize(start, size), type }];
}

/** Same entries (addr, size, type) in the same order. */
export function sameE820(a: readonly E820Entry[], b: readonly E820Entry[]): boolean {
  return (
    a.length === b.length &&
    a.every((e, i) => e.addr === b[i]!.addr && e.size === b[i]!.size && e.type === b[i]!.type)
  );
}
