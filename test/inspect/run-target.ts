/**
 * An inspector target from a finished run (until dump v2 loads one from a
 * file): the live KernelMemory of the machine that ended the story and the
 * facts of its oops. The model keeps no kernel stacks, so frames carry the
 * call trace's functions and text addresses without stack addresses.
 */
import type { InspectTarget, PtRegs } from '../../src/inspect/target.js';
import { kernelMemoryOf } from '../../src/machine/kernel-memory-live.js';
import { formatOops, textAddr } from '../../src/power/oops.js';
import type { RunResult } from '../../src/scenario/run.js';

export function runTarget(r: RunResult, name: string): InspectTarget {
  const machine = r.resume?.machine ?? r.suspend.machine;
  const km = kernelMemoryOf(machine);
  const oops = r.resume?.result.oops ?? r.suspend.oops;
  const log = r.resume?.console ?? r.suspend.console;
  if (!oops) return { km, dumpName: name, log };
  const g = oops.regs;
  const regs: PtRegs = {
    ...g,
    rip: oops.rip,
    origRax: 0xffffffffffffffffn,
    cs: 0x10n,
    ss: 0x18n,
  };
  const frames = oops.trace.map((site) => {
    const m = /^(.*)\+0x([0-9a-f]+)/.exec(site);
    const func = m ? m[1]! : site;
    const off = m ? Number.parseInt(m[2]!, 16) : 0;
    return { func, pc: textAddr(machine, func, off) };
  });
  return {
    km,
    dumpName: name,
    log,
    panicMessage: formatOops(machine, oops)[0],
    panic: {
      pid: oops.pid,
      cpu: 0,
      comm: oops.comm,
      exception: { rip: `${oops.func}+${oops.offset}`, regs },
      frames,
    },
  };
}
