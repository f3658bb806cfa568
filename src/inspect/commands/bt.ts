/**
 * `bt`: the panicking task's backtrace as crash prints it on x86-64 (seed 000):
 *
 *   PID: 318    TASK: ffff92637d862100  CPU: 0   COMMAND: "dracut-pre-moun"
 *    #0 [ffff9263fd72b998] panic at ffffffff8b97a9c7
 *    #8 [ffff9263fd72bbc0] async_page_fault at ffffffff8b98a7a8
 *       [exception RIP: load_image_lzo+2086]
 *       RIP: ffffffff8b2fe476  RSP: ffff9263fd72bc70  RFLAGS: 00010246
 *       RAX: …  RBX: …  RCX: …            (pt_regs, 16 hex digits each)
 *       ORIG_RAX: ffffffffffffffff  CS: 0010  SS: 0018
 *    #9 [ffff9263fd72bd80] swsusp_read at ffffffff8b2ffb2e
 * The model keeps no kernel stacks, so the frames are the ones the run
 * recorded for the panicking task (the dump's oops record).
 */
import { type Command, parseArgs } from '../command.js';
import { InspectError } from '../errors.js';
import { hx } from '../mem.js';
import type { PanicTask, PtRegs } from '../target.js';

const h16 = (v: bigint): string => hx(v).padStart(16, '0');

export function formatRegs(r: PtRegs): string[] {
  const reg = (name: string, v: bigint): string => `${name.padStart(3)}: ${h16(v)}`;
  return [
    `    RIP: ${h16(r.rip)}  RSP: ${h16(r.rsp)}  RFLAGS: ${hx(r.rflags).padStart(8, '0')}`,
    `    ${reg('RAX', r.rax)}  ${reg('RBX', r.rbx)}  ${reg('RCX', r.rcx)}`,
    `    ${reg('RDX', r.rdx)}  ${reg('RSI', r.rsi)}  ${reg('RDI', r.rdi)}`,
    `    ${reg('RBP', r.rbp)}  ${reg('R8', r.r8)}  ${reg('R9', r.r9)}`,
    `    ${reg('R10', r.r10)}  ${reg('R11', r.r11)}  ${reg('R12', r.r12)}`,
    `    ${reg('R13', r.r13)}  ${reg('R14', r.r14)}  ${reg('R15', r.r15)}`,
    `    ORIG_RAX: ${h16(r.origRax)}  CS: ${hx(r.cs).padStart(4, '0')}  SS: ${hx(r.ss).padStart(4, '0')}`,
  ];
}

/** Unknown addresses (the model keeps no kernel stacks) print as 16 '?'. */
const addr16 = (v: bigint | undefined): string => (v === undefined ? '?'.repeat(16) : h16(v));

export function formatBacktrace(t: PanicTask): string[] {
  const lines = [
    `PID: ${String(t.pid).padEnd(7)}TASK: ${addr16(t.task)}  CPU: ${String(t.cpu).padEnd(4)}COMMAND: "${t.comm}"`,
  ];
  const exception = (e: PanicTask['exception']): void => {
    if (!e) return;
    if (e.rip) lines.push(`    [exception RIP: ${e.rip}]`);
    lines.push(...formatRegs(e.regs));
  };
  exception(t.exception);
  t.frames.forEach((f, i) => {
    lines.push(`${`#${i}`.padStart(3)} [${addr16(f.sp)}] ${f.func} at ${h16(f.pc)}`);
    exception(f.exception);
  });
  return lines;
}

export const command: Command = {
  name: 'bt',
  summary: 'backtrace of the panicking task',
  help: [
    'bt',
    '',
    '  Shows the panicking task (PID, task_struct, CPU, command), its stack',
    '  frames innermost first, and the registers of each exception frame',
    '  (the faulting kernel context, and the user context at system-call entry).',
  ],
  *run(ctx, args) {
    parseArgs('bt', args, 'afflsxd');
    const t = ctx.target.panic;
    if (!t)
      throw new InspectError('NO_PANIC', 'no panic task in this dump (the machine did not oops)', {
        prefix: 'bt',
      });
    yield* formatBacktrace(t);
  },
  lib() {
    return ["console.log(formatBacktrace(target.panic!).join('\\n'));"];
  },
};
