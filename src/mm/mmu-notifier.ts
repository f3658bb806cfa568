/**
 * mmu_interval_notifier (mm/mmu_notifier.c, include/linux/mmu_notifier.h):
 * a subscriber watches [start, end) of one mm; every invalidation that
 * overlaps calls its invalidate() with the range, the event and the owner
 * (mmu_notifier_range_init_owner), and the subscriber bumps its sequence
 * with mmu_interval_set_seq(). mmu_interval_read_begin() /
 * mmu_interval_read_retry() give the collision-retry protocol drivers use
 * around hmm_range_fault().
 */
import type { MmStruct } from './mm-struct.js';

export type NotifyEvent =
  | 'MMU_NOTIFY_UNMAP'
  | 'MMU_NOTIFY_CLEAR'
  | 'MMU_NOTIFY_PROTECTION_VMA'
  | 'MMU_NOTIFY_PROTECTION_PAGE'
  | 'MMU_NOTIFY_RELEASE'
  | 'MMU_NOTIFY_MIGRATE'
  | 'MMU_NOTIFY_EXCLUSIVE';

export interface NotifierRange {
  readonly mm: MmStruct;
  readonly start: number;
  readonly end: number;
  readonly event: NotifyEvent;
  /** range->owner: the pgmap owner for MIGRATE events, else null. */
  readonly owner: unknown;
  /** MMU_NOTIFIER_RANGE_BLOCKABLE. */
  readonly blockable: boolean;
}

export interface IntervalNotifierOps {
  /** Returns false only for a non-blockable range it could not handle. */
  invalidate(sub: IntervalNotifier, range: NotifierRange, curSeq: number): boolean;
}

export class IntervalNotifier {
  /** invalidate_seq. */
  seq = 0;
  constructor(
    readonly mm: MmStruct,
    readonly start: number,
    readonly end: number,
    readonly ops: IntervalNotifierOps,
  ) {}
}

/** mmu_interval_notifier_insert(). */
export function mmuIntervalNotifierInsert(
  mm: MmStruct,
  start: number,
  length: number,
  ops: IntervalNotifierOps,
): IntervalNotifier {
  const n = new IntervalNotifier(mm, start, start + length, ops);
  mm.notifiers.push(n);
  return n;
}

/** mmu_interval_notifier_remove(). */
export function mmuIntervalNotifierRemove(n: IntervalNotifier): void {
  const i = n.mm.notifiers.indexOf(n);
  if (i >= 0) n.mm.notifiers.splice(i, 1);
}

/** mmu_interval_read_begin(). */
export function mmuIntervalReadBegin(n: IntervalNotifier): number {
  return n.seq;
}

/** mmu_interval_read_retry() / mmu_interval_check_retry(). */
export function mmuIntervalReadRetry(n: IntervalNotifier, seq: number): boolean {
  return n.seq !== seq;
}

/** mmu_interval_set_seq(). */
export function mmuIntervalSetSeq(n: IntervalNotifier, seq: number): void {
  n.seq = seq;
}

let invalidateSeq = 1;

/**
 * mmu_notifier_invalidate_range_start(): every interval subscription of the
 * mm that overlaps [start, end) is called (the end call has nothing to do in
 * the model: there is no concurrent reader to release).
 */
export function mmuNotifierInvalidate(
  mm: MmStruct,
  start: number,
  end: number,
  event: NotifyEvent,
  owner: unknown = null,
): void {
  if (mm.notifiers.length === 0) return;
  invalidateSeq += 2;
  const range: NotifierRange = { mm, start, end, event, owner, blockable: true };
  for (const n of [...mm.notifiers]) {
    if (n.start < end && start < n.end) n.ops.invalidate(n, range, invalidateSeq);
  }
}
