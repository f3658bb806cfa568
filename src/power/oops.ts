/**
 * A kernel oops as the console prints it (arch/x86/mm/fault.c
 * show_fault_oops()/dump_pagetable(), arch/x86/kernel/dumpstack.c __die(),
 * show_regs(), show_trace_log_lvl()), in the profile's style, plus the
 * structured facts a caller (the CLI verdict, the inspector) needs.
 */

import type { WalkResult } from '../arch/x86/walk.js';
import type { Machine } from '../machine/boot.js';

export interface OopsRegs {
  rax: bigint;
  rbx: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
  rbp: bigint;
  rsp: bigint;
  r8: bigint;
  r9: bigint;
  r10: bigint;
  r11: bigint;
  r12: bigint;
  r13: bigint;
  r14: bigint;
  r15: bigint;
  rflags: bigint;
}

export interface Oops {
  /** Faulting address (CR2). */
  address: bigint;
  /** Function holding the faulting instruction and the offset in it. */
  func: string;
  offset: number;
  rip: bigint;
  regs: OopsRegs;
  /** error_code: 0x2 = write to a not-present page, 0x0 = read. */
  errorCode: number;
  pid: number;
  comm: string;
  /** Call trace above the faulting function, innermost first ("func+0xoff"). */
  trace: string[];
  /** Page walk of the faulting address in the page tables in use. */
  walk: WalkResult;
  /** Why, in one line. */
  reason: string;
}

const h16 = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, '0');

/** Text address of "func+0xoff" in this machine's kernel. */
export function textAddr(m: Machine, func: string, off: number): bigint {
  const sym = m.profile.hibernation.oops.symbols[func];
  return m.kernelImage.textVirt + BigInt((sym?.offset ?? 0) + off);
}

function symOff(m: Machine, site: string): { addr: bigint; text: string } {
  const mt = /^(.*)\+0x([0-9a-f]+)$/.exec(site);
  const func = mt ? mt[1]! : site;
  const off = mt ? Number.parseInt(mt[2]!, 16) : 0;
  const size = m.profile.hibernation.oops.symbols[func]?.size ?? 0;
  const addr = textAddr(m, func, off);
  // %pS without CONFIG_KALLSYMS prints the raw address (lib/vsprintf.c symbol_string()).
  if (!m.profile.build.kallsyms) return { addr, text: `0x${h16(addr)}` };
  return { addr, text: `${func}+0x${off.toString(16)}/0x${size.toString(16)}` };
}

/**
 * oops_end() (arch/x86/kernel/dumpstack.c): panic_on_oops → panic("Fatal
 * exception"); otherwise make_task_dead(SIGKILL) → do_exit(), which panics
 * for the init task (kernel/exit.c: "Attempted to kill init! exitcode=0x%08x",
 * SIGKILL = 9) and otherwise just ends the oopsing task.
 */
export function oopsEnd(m: Pick<Machine, 'profile'>, o: Pick<Oops, 'pid'>): string[] {
  if (m.profile.build.panicOnOops) return ['Kernel panic - not syncing: Fatal exception'];
  if (o.pid === 1) return ['Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009'];
  return [];
}

/** The oops text, one console line per element. */
export function formatOops(m: Machine, o: Oops): string[] {
  const op = m.profile.hibernation.oops;
  const out: string[] = [];
  const rip = symOff(m, `${o.func}+0x${o.offset.toString(16)}`);
  const walkLine = o.walk.steps.map((s) => `${s.level} ${s.value.toString(16)}`).join(' ');
  const r = o.regs;
  // show_regs(): the RIP line differs by style, the general registers do not.
  const R = (n: string, v: bigint) => `${n}: ${h16(v)}`;
  const gprLines = [
    `${R('RAX', r.rax)} ${R('RBX', r.rbx)} ${R('RCX', r.rcx)}`,
    `${R('RDX', r.rdx)} ${R('RSI', r.rsi)} ${R('RDI', r.rdi)}`,
    `${R('RBP', r.rbp)} ${R('R08', r.r8)} ${R('R09', r.r9)}`,
    `${R('R10', r.r10)} ${R('R11', r.r11)} ${R('R12', r.r12)}`,
    `${R('R13', r.r13)} ${R('R14', r.r14)} ${R('R15', r.r15)}`,
  ];
  const regLines = (style: '3.10' | '6.x'): string[] =>
    style === '3.10'
      ? [
          `RIP: 0010:[<${h16(rip.addr)}>]  [<${h16(rip.addr)}>] ${rip.text}`,
          `RSP: 0018:${h16(r.rsp)}  EFLAGS: ${r.rflags.toString(16).padStart(8, '0')}`,
          ...gprLines,
        ]
      : [
          `RIP: 0010:${rip.text}`,
          `RSP: 0018:${h16(r.rsp)} EFLAGS: ${r.rflags.toString(16).padStart(8, '0')}`,
          ...gprLines,
        ];
  const write = (o.errorCode & 2) !== 0;
  if (op.style === '3.10') {
    out.push(`BUG: unable to handle kernel paging request at ${h16(o.address)}`);
    out.push(`IP: [<${h16(rip.addr)}>] ${rip.text}`);
    out.push(walkLine);
    out.push(`Oops: ${o.errorCode.toString(16).padStart(4, '0')} [#1]${m.profile.build.dieFlags}`);
    out.push('Modules linked in: virtio_blk virtio_pci virtio_ring virtio');
    out.push(`CPU: 0 PID: ${o.pid} Comm: ${o.comm} Not tainted ${op.release} #1`);
    out.push(`Hardware name: ${op.hardware}`);
    out.push(...regLines('3.10'));
    out.push(`CR2: ${h16(o.address)} CR3: ${h16(BigInt(m.kernelImage.pgdPhys))} CR4: 00000000003606f0`);
    out.push('Call Trace:');
    for (const site of o.trace) {
      const s = symOff(m, site);
      out.push(` [<${h16(s.addr)}>] ${s.text}`);
    }
    out.push(`RIP  [<${h16(rip.addr)}>] ${rip.text}`);
    out.push(` RSP <${h16(r.rsp)}>`);
    out.push(`CR2: ${h16(o.address)}`);
    out.push('---[ end trace 0000000000000000 ]---');
    out.push(...oopsEnd(m, o));
  } else {
    out.push(`BUG: unable to handle page fault for address: ${h16(o.address)}`);
    out.push(`#PF: supervisor ${write ? 'write' : 'read'} access in kernel mode`);
    out.push(`#PF: error_code(0x${o.errorCode.toString(16).padStart(4, '0')}) - not-present page`);
    // 4-level paging folds the P4D into the PGD: dump_pagetable() prints the same entry twice.
    const p4d = o.walk.steps[0]?.value.toString(16) ?? '0';
    out.push(`${walkLine.replace('PUD', `P4D ${p4d} PUD`)} `);
    out.push(`Oops: Oops: ${o.errorCode.toString(16).padStart(4, '0')} [#1]${m.profile.build.dieFlags}`);
    out.push(`CPU: 0 UID: 0 PID: ${o.pid} Comm: ${o.comm} Not tainted ${op.release} #1`);
    out.push(`Hardware name: ${op.hardware}`);
    out.push(...regLines('6.x'));
    out.push(`CR2: ${h16(o.address)} CR3: ${h16(BigInt(m.kernelImage.pgdPhys))} CR4: 00000000000006f0`);
    out.push('Call Trace:');
    out.push(' <TASK>');
    out.push(` ? ${symOff(m, `${o.func}+0x${o.offset.toString(16)}`).text}`);
    for (const site of o.trace) out.push(` ${symOff(m, site).text}`);
    out.push(' </TASK>');
    out.push(`CR2: ${h16(o.address)}`);
    out.push('---[ end trace 0000000000000000 ]---');
    out.push(...oopsEnd(m, o));
  }
  return out;
}
