/**
 * What the inspector looks at: a kernel's memory (`KernelMemory`, read as
 * bytes through the profile's struct layouts) plus the few facts of a crash
 * that are not in memory in the model — the panicking task's stack trace and
 * registers as the run recorded them (the model does not keep kernel stacks),
 * the console log and the panic message. A loaded dump provides all of them;
 * a live machine provides memory only.
 */
import type { KernelMemory } from '../machine/kernel-memory.js';

/** x86-64 register set as crash's `bt` prints it (struct pt_regs). */
export interface PtRegs {
  rip: bigint;
  rsp: bigint;
  rflags: bigint;
  rax: bigint;
  rbx: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
  rbp: bigint;
  r8: bigint;
  r9: bigint;
  r10: bigint;
  r11: bigint;
  r12: bigint;
  r13: bigint;
  r14: bigint;
  r15: bigint;
  origRax: bigint;
  cs: bigint;
  ss: bigint;
}

export interface BtFrame {
  /** Stack address of the frame (the `[…]` column); unknown when the run kept no stack. */
  sp?: bigint;
  func: string;
  /** Return address / pc in `func`. */
  pc: bigint;
  /**
   * An exception frame saved right after this frame (crash prints it below
   * the frame line): the faulting kernel context, or the user context at a
   * system-call entry.
   */
  exception?: {
    regs: PtRegs;
    /** "load_image_lzo+2086" for kernel frames; absent for user mode. */
    rip?: string;
  };
}

export interface PanicTask {
  pid: number;
  /** task_struct address (unknown when the run kept none). */
  task?: bigint;
  cpu: number;
  comm: string;
  /**
   * The faulting context when the run recorded no frame below the faulting
   * function (printed before frame #0, as crash prints an exception frame).
   */
  exception?: BtFrame['exception'];
  /** Innermost first (#0 = panic). */
  frames: readonly BtFrame[];
}

export interface InspectTarget {
  readonly km: KernelMemory;
  /** File the dump came from (sys DUMPFILE). */
  readonly dumpName?: string;
  readonly panic?: PanicTask;
  /** The panic line (sys PANIC), e.g. "BUG: unable to handle kernel paging request at ffff9263fe142000". */
  readonly panicMessage?: string;
  /** Kernel log of the dumped kernel, one console line each, with printk timestamps. */
  readonly log?: readonly string[];
}
