/**
 * hmm_range_fault() (mm/hmm.c, include/linux/hmm.h): snapshot (and on
 * request fault in) the CPU page table of a range for a device.
 *
 * Output per page: `pfns[k]` and `flags[k]` — HMM_PFN_VALID (bit 63 in the
 * kernel) = 1, HMM_PFN_WRITE (62) = 2, HMM_PFN_ERROR (61) = 4, and the map
 * order (HMM_PFN_ORDER) in bits 3..7. Input: default_flags
 * HMM_PFN_REQ_FAULT (= VALID) | HMM_PFN_REQ_WRITE (= WRITE), pfn_flags_mask 0.
 * Returns 0, -EFAULT, -EPERM or -EBUSY (the notifier sequence changed).
 */
import type { MmContext } from './context.js';
import { FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE, handleMmFault, VM_FAULT_ERROR } from './fault.js';
import type { MmStruct } from './mm-struct.js';
import { pmdIndex, pteIndex } from './mm-struct.js';
import { EBUSY, EFAULT, EPERM } from './mmap.js';
import { type IntervalNotifier, mmuIntervalReadRetry } from './mmu-notifier.js';
import {
  PTE_PSE,
  PTE_RW,
  PTE_SPECIAL,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  swpOffset,
  swpType,
} from './pte.js';
import { VM_IO, VM_MIXEDMAP, VM_PFNMAP, VM_READ, VM_WRITE } from './vma.js';

export const HMM_PFN_VALID = 1;
export const HMM_PFN_WRITE = 2;
export const HMM_PFN_ERROR = 4;
export const HMM_PFN_REQ_FAULT = HMM_PFN_VALID;
export const HMM_PFN_REQ_WRITE = HMM_PFN_WRITE;

export interface HmmRange {
  notifier: IntervalNotifier;
  notifierSeq: number;
  start: number;
  end: number;
  pfns: Float64Array;
  flags: Uint8Array;
  defaultFlags: number;
  devPrivateOwner: unknown;
}

export function hmmPfnOrder(flags: number): number {
  return flags >> 3;
}

export function hmmRangeFault(ctx: MmContext, mm: MmStruct, r: HmmRange): number {
  return ctx.frame('hmm_range_fault', () => {
    const reqFault = (r.defaultFlags & HMM_PFN_REQ_FAULT) !== 0;
    const reqWrite = (r.defaultFlags & HMM_PFN_REQ_WRITE) !== 0;
    const sw = ctx.hmm.swap;
    let va = r.start;
    let spinVa = -1;
    let spins = 0;
    while (va < r.end) {
      if (mmuIntervalReadRetry(r.notifier, r.notifierSeq)) return -EBUSY;
      const k = (va - r.start) / 4096;
      r.pfns[k] = 0;
      r.flags[k] = 0;
      const vma = mm.vmaLookup(va);
      const bad =
        !vma ||
        vma.flags & (VM_IO | VM_PFNMAP) ||
        !(vma.flags & VM_READ) ||
        (!ctx.hmm.hmmMixedmap && vma.flags & VM_MIXEDMAP);
      if (bad) {
        if (reqFault) return -EFAULT;
        r.flags[k] = HMM_PFN_ERROR;
        va += 4096;
        continue;
      }
      let cpu = 0;
      let pfn = 0;
      let order = 0;
      let error = false;
      const pmd = mm.pmdTable(va, false);
      const pi = pmdIndex(va);
      if (pmd && !pteNone(pmd, pi) && pmd[2 * pi]! & PTE_PSE) {
        if (pmd[2 * pi]! & 1) {
          cpu = HMM_PFN_VALID | (pmd[2 * pi]! & PTE_RW ? HMM_PFN_WRITE : 0);
          pfn = ptePfn(pmd, pi) + (Math.floor(va / 4096) & 511);
          order = 9;
        }
      } else {
        const t = pmd ? mm.pteTable(va, false) : null;
        const i = pteIndex(va);
        if (t && !pteNone(t, i)) {
          if (!ptePresent(t, i)) {
            const type = swpType(t, i);
            const dpfn = swpOffset(t, i);
            if (
              (type === sw.deviceWrite || type === sw.deviceRead) &&
              ctx.pgmapOf(dpfn)?.owner === r.devPrivateOwner
            ) {
              // Never faulted: reported as is, even when a write was requested.
              r.pfns[k] = dpfn;
              r.flags[k] = HMM_PFN_VALID | (type === sw.deviceWrite ? HMM_PFN_WRITE : 0);
              va += 4096;
              continue;
            }
          } else if (t[2 * i]! & 1) {
            pfn = ptePfn(t, i);
            if (pteFlags(t, i) & PTE_SPECIAL && !ctx.isZeroPfn(pfn)) error = true;
            else cpu = HMM_PFN_VALID | (pteFlags(t, i) & PTE_RW ? HMM_PFN_WRITE : 0);
          }
        }
      }
      const need = reqFault && (!(cpu & HMM_PFN_VALID) || (reqWrite && !(cpu & HMM_PFN_WRITE)));
      if (error) {
        if (reqFault) return -EFAULT;
        r.flags[k] = HMM_PFN_ERROR;
        va += 4096;
        continue;
      }
      if (!need) {
        if (cpu) {
          r.pfns[k] = pfn;
          r.flags[k] = cpu | (order << 3);
        }
        va += 4096;
        continue;
      }
      // hmm_vma_fault(); a fault that never makes progress ends like the driver's timeout.
      if (va === spinVa && ++spins > ctx.livelockThreshold) return -EBUSY;
      if (va !== spinVa) {
        spinVa = va;
        spins = 0;
      }
      if (reqWrite && !(vma.flags & VM_WRITE)) return -EPERM;
      const ret = handleMmFault(ctx, vma, va, (reqWrite ? FAULT_FLAG_WRITE : 0) | FAULT_FLAG_REMOTE);
      if (ret & VM_FAULT_ERROR) return -EFAULT;
      // -EBUSY from the walk: retry this page (the caller's loop sees a changed sequence).
    }
    return 0;
  });
}
