/**
 * What the inspector needs of a loaded dump (hiblab-dump v2's `loadDump()`
 * result, structurally): its KernelMemory, the consoles and the oops record
 * (pid, comm, faulting function and offset, registers, call trace as
 * "func+0xoff"). The oops's functions are text symbols of the dump, so frame
 * pcs are read from the symbol table; the model keeps no kernel stacks, so
 * frames have no stack address.
 */
import type { KernelMemory } from '../machine/kernel-memory.js';
import type { InspectTarget, PtRegs } from './target.js';

export interface DumpLike {
  readonly kernelMemory: KernelMemory;
  readonly console: { readonly suspend: readonly string[]; readonly resume: readonly string[] };
  readonly oops?: Record<string, unknown>;
}

const big = (v: unknown): bigint =>
  typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : BigInt(String(v ?? 0));

export function dumpTarget(d: DumpLike, name: string): InspectTarget {
  const km = d.kernelMemory;
  const log = d.console.resume.length ? d.console.resume : d.console.suspend;
  const o = d.oops;
  if (!o) return { km, dumpName: name, log };
  const r = (o.regs ?? {}) as Record<string, unknown>;
  const reg = (n: string): bigint => big(r[n]);
  const regs: PtRegs = {
    rip: big(o.rip),
    rsp: reg('rsp'),
    rflags: reg('rflags'),
    rax: reg('rax'),
    rbx: reg('rbx'),
    rcx: reg('rcx'),
    rdx: reg('rdx'),
    rsi: reg('rsi'),
    rdi: reg('rdi'),
    rbp: reg('rbp'),
    r8: reg('r8'),
    r9: reg('r9'),
    r10: reg('r10'),
    r11: reg('r11'),
    r12: reg('r12'),
    r13: reg('r13'),
    r14: reg('r14'),
    r15: reg('r15'),
    // A kernel-mode page fault: no system call number, kernel CS/SS (__KERNEL_CS / __KERNEL_DS).
    origRax: 0xffffffffffffffffn,
    cs: 0x10n,
    ss: 0x18n,
  };
  const frames = ((o.trace ?? []) as string[]).map((site) => {
    const m = /^(.*)\+0x([0-9a-f]+)/.exec(site);
    const func = m ? m[1]! : site;
    const sym = km.symbol(func);
    return { func, pc: (sym?.addr ?? 0n) + BigInt(m ? Number.parseInt(m[2]!, 16) : 0) };
  });
  const address = big(o.address);
  return {
    km,
    dumpName: name,
    log,
    panicMessage: `BUG: unable to handle kernel paging request at ${address.toString(16).padStart(16, '0')}`,
    panic: {
      pid: Number(o.pid ?? 0),
      cpu: 0,
      comm: String(o.comm ?? ''),
      exception: { rip: `${String(o.func)}+${Number(o.offset ?? 0)}`, regs },
      frames,
    },
  };
}
