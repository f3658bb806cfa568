/**
 * An inspector target from a finished run, through the same adapter a loaded
 * dump goes through (src/inspect/dump-target.ts): the live KernelMemory of
 * the machine that ended the story, both consoles and the oops record.
 */
import { dumpTarget } from '../../src/inspect/dump-target.js';
import type { InspectTarget } from '../../src/inspect/target.js';
import { kernelMemoryOf } from '../../src/machine/kernel-memory-live.js';
import type { RunResult } from '../../src/scenario/run.js';

export function runTarget(r: RunResult, name: string): InspectTarget {
  const machine = (r.resume?.machine ?? r.suspend.machine)!;
  const oops = r.resume?.result.oops ?? r.suspend.oops;
  return dumpTarget(
    {
      kernelMemory: kernelMemoryOf(machine),
      console: { suspend: r.suspend.console, resume: r.resume?.console ?? [] },
      oops: oops as unknown as Record<string, unknown> | undefined,
    },
    name,
  );
}
