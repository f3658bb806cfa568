/**
 * `sys`: the system summary crash prints at startup: kernel, dump file, CPUs,
 * memory, release, machine and the panic message. Memory is the sum of the
 * zones' present pages read from the node descriptors.
 */
import { type Command, parseArgs } from '../command.js';
import { evaluateText } from '../expr-eval.js';
import { humanSize, nodes, zones } from '../kernel.js';
import { readCString } from '../mem.js';

export function sysLines(ctx: Parameters<Command['run']>[0]): string[] {
  const km = ctx.km;
  let present = 0n;
  try {
    for (const n of nodes(km)) for (const z of zones(km, n.pgdat)) present += z.present;
  } catch {
    present = 0n;
  }
  // init_uts_ns.name (struct new_utsname) when the kernel has it, else the profile's release string.
  const uts = (field: string): string | undefined => {
    try {
      const v = evaluateText({ km }, `init_uts_ns.name.${field}`);
      if (v.addr === undefined) return undefined;
      const s = readCString(km, v.addr, 65);
      return s.bytes.length ? String.fromCharCode(...s.bytes) : undefined;
    } catch {
      return undefined;
    }
  };
  const release = uts('release') ?? km.profile.hibernation.oops.release;
  const nodename = uts('nodename');
  const row = (k: string, v: string): string => `${k.padStart(12)}: ${v}`;
  const out = [
    row('KERNEL', `${km.profile.id} (${km.profile.description})`),
    row('DUMPFILE', ctx.target.dumpName ?? '(live model)'),
    row('CPUS', '1'),
    row('MEMORY', present > 0n ? humanSize(present * 4096n) : '(unknown)'),
    ...(nodename ? [row('NODENAME', nodename)] : []),
    row('RELEASE', release),
    row('VERSION', uts('version') ?? '(unknown)'),
    row('MACHINE', uts('machine') ?? 'x86_64'),
  ];
  if (ctx.target.panicMessage) out.push(row('PANIC', `"${ctx.target.panicMessage}"`));
  if (ctx.target.panic) {
    out.push(row('PID', String(ctx.target.panic.pid)));
    out.push(row('COMMAND', `"${ctx.target.panic.comm}"`));
  }
  return out;
}

export const command: Command = {
  name: 'sys',
  summary: 'system data',
  help: ['sys', '', '  Shows the kernel, dump file, memory size, release and panic message.'],
  *run(ctx, args) {
    parseArgs('sys', args, 'c');
    yield* sysLines(ctx);
  },
  lib() {
    return ["console.log(sysLines({ km, target, state: { history: [], radix: 10 } }).join('\\n'));"];
  },
};
