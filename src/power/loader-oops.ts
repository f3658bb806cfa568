/**
 * The oops of a page fault in the resume loader (kernel/power/swap.c): the
 * faulting store's registers from the loader's state and the model's own
 * allocations, the frame from the profile, the call trace by how
 * software_resume() was reached.
 *
 * Which registers come from where:
 *  - RDI = the store's target address (CR2), RCX/RDX the rep movsq / memset
 *    counts of one page (0x200 quadwords, 0x1000 bytes);
 *  - RBX = nr_pages (the loader's loop counter), R12 = the page's offset in its
 *    chunk, R15 = data (the loader's second vmalloc), R14 = data[thr].unc,
 *    RSI = unc + off, R11 = data[thr].cmp — all computed (swap-read.ts);
 *  - RSP, RBP, R13 (&snapshot in swsusp_read()'s frame): the profile's frame
 *    offsets on the task's own kernel stack; R9, R10, RFLAGS: profile data from
 *    the one real oops (seed 000).
 */
import type { WalkResult } from '../arch/x86/walk.js';
import type { Machine } from '../machine/boot.js';
import { type Oops, type OopsRegs, textAddr } from './oops.js';

/** How software_resume() was reached and by whom. */
export type ResumeTrigger =
  /** late_initcall with resume=: kernel_init runs it as PID 1 while its comm is still "swapper/0". */
  | { via: 'initcall' }
  /** A user process wrote /sys/power/resume (resume_store()). */
  | { via: 'sysfs'; process: string; pid: number };

/** Where the loader was when the store faulted. */
export interface LoaderFault {
  /** 'copy': the loader's memcpy of a page; 'zero-fill': snapshot_write_next()'s memset of a zero page. */
  what: 'copy' | 'zero-fill';
  /** Which loader ran: load_compressed_image / load_image_lzo, or load_image. */
  compressed: boolean;
  /** nr_pages at the store. */
  nrPages: number;
  /** Compressed loader: the decompression buffers and the page's offset in its chunk. */
  dec?: { data: bigint; unc: bigint; cmp: bigint; off: number };
  /** Base of the loading task's kernel stack (direct-map address), when it has one. */
  stack?: bigint;
}

export function loaderOops(
  m: Machine,
  trigger: ResumeTrigger,
  vaddr: bigint,
  w: WalkResult,
  f: LoaderFault,
): Oops {
  const op = m.profile.hibernation.oops;
  const loaderName = f.compressed ? op.loader.compressed : op.loader.nocompress;
  const frame: Partial<OopsRegs> =
    f.stack === undefined
      ? {}
      : {
          rbp: f.stack + BigInt(op.loaderFrame.rbp),
          rsp: f.stack + BigInt(op.loaderFrame.rsp),
          r13: f.stack + BigInt(op.loaderFrame.snapshotHandle),
        };
  const dec: Partial<OopsRegs> = f.dec
    ? {
        r12: BigInt(f.dec.off),
        r14: f.dec.unc,
        r15: f.dec.data,
        rsi: f.dec.unc + BigInt(f.dec.off),
        r11: f.dec.cmp,
      }
    : {};
  const regs: OopsRegs = {
    rax: 0n,
    rbx: BigInt(f.nrPages),
    rcx: 0x200n,
    rdx: f.what === 'copy' ? 0x1000n : 0n,
    rsi: 0n,
    rdi: vaddr,
    rbp: 0n,
    rsp: 0n,
    r8: 0n,
    r9: op.loaderRegs.r9,
    r10: op.loaderRegs.r10,
    r11: 0n,
    r12: 0n,
    r13: 0n,
    r14: 0n,
    r15: 0n,
    rflags: op.loaderRegs.rflags,
    ...dec,
    ...frame,
  };
  if (f.what === 'zero-fill') regs.rsi = 0n; // memset(buffer, 0, PAGE_SIZE)
  const fn = f.what === 'copy' ? loaderName : 'snapshot_write_next';
  const fnOff = f.what === 'copy' ? op.copyInsnOffset : op.zeroFillInsnOffset;
  const trace = [...op.callTrace[trigger.via]];
  if (f.what === 'zero-fill') {
    const ret = f.compressed ? op.writeNextReturn.compressed : op.writeNextReturn.nocompress;
    trace.unshift(`${loaderName}+0x${ret.toString(16)}`);
  }
  return {
    address: vaddr,
    func: fn,
    offset: fnOff,
    rip: textAddr(m, fn, fnOff),
    regs,
    errorCode: 0x2,
    pid: trigger.via === 'sysfs' ? trigger.pid : 1,
    comm: trigger.via === 'sysfs' ? trigger.process : 'swapper/0',
    trace,
    walk: w,
    reason: `page fault writing 0x${vaddr.toString(16)} (pfn 0x${(Number(vaddr - m.kaslr.pageOffsetBase) / 4096).toString(16)}) in ${fn}: the boot kernel's direct map has no ${w.notMappedAt ?? 'leaf'} entry for it`,
  };
}
