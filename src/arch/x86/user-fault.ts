/**
 * User-mode memory access by the model CPU and its page faults
 * (arch/x86/mm/fault.c exc_page_fault → do_user_addr_fault): the access
 * walks the user page table; a missing or write-protected translation faults,
 * the VMA is looked up and access-checked (access_error), and
 * handle_mm_fault() runs — first under the per-VMA lock where the profile has
 * it, then under mmap_lock on VM_FAULT_RETRY. The faulting instruction is
 * retried until the translation works, or a signal is delivered.
 *
 * A software TLB caches the last translation (invalidated by MmContext.tlbGen,
 * i.e. by every flush_tlb_range the model does).
 *
 * Livelock detection: when the same access keeps faulting on the same
 * device-private entry and migrate_to_ram returns without changing it, the
 * CPU would re-execute forever (seed 002); after `livelockThreshold` such
 * faults the model stops with a FaultLivelock carrying the fault trace.
 */
import { HiblabError } from '../../errors.js';
import type { MmContext } from '../../mm/context.js';
import {
  FAULT_FLAG_VMA_LOCK,
  FAULT_FLAG_WRITE,
  handleMmFault,
  VM_FAULT_ERROR,
  VM_FAULT_RETRY,
} from '../../mm/fault.js';
import { userPfn } from '../../mm/gup.js';
import type { MmStruct } from '../../mm/mm-struct.js';
import { pteIndex } from '../../mm/mm-struct.js';
import { ptePresent, pteValue, swpType } from '../../mm/pte.js';
import { VM_ACCESS_FLAGS, VM_WRITE } from '../../mm/vma.js';

/** A signal delivered to the task by a failed access (SIGSEGV 11, SIGBUS 7). */
export class UserSignal extends HiblabError {
  constructor(
    readonly signo: number,
    readonly address: number,
  ) {
    super(
      signo === 11 ? 'SIGSEGV' : 'SIGBUS',
      `${signo === 11 ? 'SIGSEGV' : 'SIGBUS'} at user address 0x${address.toString(16)}`,
      {},
      1,
    );
  }
}

export interface LivelockReport {
  readonly address: number;
  readonly faults: number;
  /** Innermost first: dmirror_devmem_fault ← do_swap_page ← … ← exc_page_fault. */
  readonly trace: readonly string[];
  readonly pte: bigint;
  readonly reason: string;
}

/** The same CPU fault re-entered migrate_to_ram N times without progress. */
export class FaultLivelock extends HiblabError {
  constructor(readonly report: LivelockReport) {
    super(
      'HMM_FAULT_LIVELOCK',
      `livelock: ${report.faults} faults at 0x${report.address.toString(16)} without progress (${report.reason})`,
      {},
      1,
    );
  }
}

/**
 * exc_page_fault → do_user_addr_fault for one access; throws UserSignal
 * when the kernel would deliver a signal.
 */
export function doUserAddrFault(ctx: MmContext, mm: MmStruct, va: number, write: boolean): void {
  ctx.frame('exc_page_fault', () =>
    ctx.frame('do_user_addr_fault', () => {
      const vma = mm.vmaLookup(va);
      if (!vma) throw new UserSignal(11, va);
      // access_error()
      if (write ? !(vma.flags & VM_WRITE) : !(vma.flags & VM_ACCESS_FLAGS)) throw new UserSignal(11, va);
      const flags = write ? FAULT_FLAG_WRITE : 0;
      let r = VM_FAULT_RETRY;
      if (ctx.hmm.perVmaLockFaults) r = handleMmFault(ctx, vma, va, flags | FAULT_FLAG_VMA_LOCK);
      if (r & VM_FAULT_RETRY) r = handleMmFault(ctx, vma, va, flags);
      if (r & VM_FAULT_ERROR) throw new UserSignal(r & 0x40 ? 11 : 7, va);
    }),
  );
}

/** Entry bits of va's PTE (0n when none) — progress detection. */
function pteAt(mm: MmStruct, va: number): bigint {
  const t = mm.pteTable(va, false);
  return t ? pteValue(t, pteIndex(va)) : 0n;
}

/** Translate for an access, faulting as needed; returns the frame pfn. */
export function userTranslate(ctx: MmContext, mm: MmStruct, va: number, write: boolean): number {
  let stuck = 0;
  for (;;) {
    const pfn = userPfn(mm, va, write);
    if (pfn >= 0) return pfn;
    const before = pteAt(mm, va);
    ctx.lastDeviceFault = null;
    doUserAddrFault(ctx, mm, va, write);
    const t = mm.pteTable(va, false);
    const i = pteIndex(va);
    const dev = ctx.lastDeviceFault as { trace: string[]; reason: string } | null;
    if (dev && t && !ptePresent(t, i) && pteValue(t, i) === before) {
      const type = swpType(t, i);
      if (type === ctx.hmm.swap.deviceWrite || type === ctx.hmm.swap.deviceRead) {
        stuck++;
        if (stuck >= ctx.livelockThreshold) {
          throw new FaultLivelock({
            address: va - (va % 4096),
            faults: stuck,
            trace: [...dev.trace].reverse(),
            pte: before,
            reason: dev.reason,
          });
        }
        continue;
      }
    }
    stuck = 0;
  }
}

/** A CPU running user code of one mm, with a one-entry software TLB per access kind. */
export class UserCpu {
  private rVpn = -1;
  private rGen = -1;
  private rView: Int32Array | null = null;
  private wVpn = -1;
  private wGen = -1;
  private wView: Int32Array | null = null;

  constructor(
    readonly ctx: MmContext,
    readonly mm: MmStruct,
  ) {}

  private view(va: number, write: boolean): Int32Array {
    const vpn = Math.floor(va / 4096);
    const ctx = this.ctx;
    if (write) {
      if (vpn === this.wVpn && this.wGen === ctx.tlbGen) return this.wView!;
    } else if (vpn === this.rVpn && this.rGen === ctx.tlbGen) return this.rView!;
    const pfn = userTranslate(ctx, this.mm, va, write);
    const f = ctx.mem.frame(pfn);
    const v = new Int32Array(f.buffer, f.byteOffset, 1024);
    if (write) {
      this.wVpn = vpn;
      this.wGen = ctx.tlbGen;
      this.wView = v;
      this.rVpn = vpn;
      this.rGen = ctx.tlbGen;
      this.rView = v;
    } else {
      this.rVpn = vpn;
      this.rGen = ctx.tlbGen;
      this.rView = v;
    }
    return v;
  }

  /** mov eax, [va] (4-byte aligned). */
  loadI32(va: number): number {
    return this.view(va, false)[(va & 4095) >> 2]!;
  }

  /** mov [va], eax. */
  storeI32(va: number, v: number): void {
    this.view(va, true)[(va & 4095) >> 2] = v;
  }

  loadU8(va: number): number {
    const w = this.view(va - (va & 3), false)[(va & 4095) >> 2]!;
    return (w >>> ((va & 3) * 8)) & 0xff;
  }

  storeU8(va: number, b: number): void {
    const v = this.view(va - (va & 3), true);
    const k = (va & 4095) >> 2;
    const sh = (va & 3) * 8;
    v[k] = (v[k]! & ~(0xff << sh)) | ((b & 0xff) << sh);
  }
}

/** copy_from_user(): bytes or null (-EFAULT) — kernel access through the same fault path. */
export function copyFromUser(ctx: MmContext, mm: MmStruct, va: number, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  let done = 0;
  try {
    while (done < len) {
      const a = va + done;
      const n = Math.min(len - done, 4096 - (a & 4095));
      const pfn = userTranslate(ctx, mm, a, false);
      out.set(ctx.mem.read(pfn * 4096 + (a & 4095), n), done);
      done += n;
    }
  } catch (e) {
    if (e instanceof UserSignal) return null;
    throw e;
  }
  return out;
}

/** copy_to_user(): false on -EFAULT. */
export function copyToUser(ctx: MmContext, mm: MmStruct, va: number, bytes: Uint8Array): boolean {
  let done = 0;
  try {
    while (done < bytes.length) {
      const a = va + done;
      const n = Math.min(bytes.length - done, 4096 - (a & 4095));
      const pfn = userTranslate(ctx, mm, a, true);
      ctx.mem.frame(pfn).set(bytes.subarray(done, done + n), a & 4095);
      done += n;
    }
  } catch (e) {
    if (e instanceof UserSignal) return false;
    throw e;
  }
  return true;
}
