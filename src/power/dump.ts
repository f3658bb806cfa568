/**
 * The post-mortem dump of a run (`hiblab run --dump FILE`): the final state
 * of the machine that ended the story (the resume boot, or the hibernating
 * one when hibernation itself died), in a versioned, self-describing format
 * for the crash-style inspector.
 *
 * Format "hiblab-dump" version 1: one UTF-8 JSON document
 *   { format: "hiblab-dump", version: 1, createdBy, scenario: {name, yaml?},
 *     verdict, reason, profile, machine: {maxPfn, kaslr{pageOffsetBase,
 *     vmallocBase, vmemmapBase}, kernelImage{textPhys, textVirt, pgdPhys,
 *     endPhys}, e820{firmware[], kernel[]}, nosave[[start,end)], zones[],
 *     memblock{memory[], reserved[]}, symbols{name: virt}},
 *     oops?, stats?, pages: [{pfn, data: base64 4096 bytes}]  (materialised frames),
 *     content: {seeds[], runs: [[pfn, count, kind, seedIndex, srcPfn]]}  (generated frames:
 *       `count` consecutive frames of one kind whose src pfns are consecutive too) }
 * Numbers above 2^53 (addresses) are 0x hex strings.
 */
import type { Machine } from '../machine/boot.js';
import { allSymbols } from '../machine/symbols.js';
import { hex } from '../util/hex.js';
import type { ContentMap } from '../workload/content-map.js';
import type { Oops } from './oops.js';

export const DUMP_FORMAT = 'hiblab-dump';
export const DUMP_VERSION = 1;

const hx = (v: number | bigint): string => hex(BigInt(v));

function b64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export interface DumpInput {
  scenarioName: string;
  scenarioYaml?: string;
  verdict: string;
  reason: string;
  machine: Machine;
  content: ContentMap;
  oops?: Oops;
  stats?: unknown;
}

export function makeDump(d: DumpInput): string {
  const m = d.machine;
  const pages = m.mem.materialisedPfns().map((pfn) => ({ pfn, data: b64(m.mem.frame(pfn)) }));
  const content = d.content.runs();
  const doc = {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    createdBy: 'hiblab',
    scenario: { name: d.scenarioName, yaml: d.scenarioYaml },
    verdict: d.verdict,
    reason: d.reason,
    profile: m.profile.id,
    machine: {
      maxPfn: m.maxPfn,
      kaslr: {
        pageOffsetBase: hx(m.kaslr.pageOffsetBase),
        vmallocBase: hx(m.kaslr.vmallocBase),
        vmemmapBase: hx(m.kaslr.vmemmapBase),
      },
      kernelImage: {
        textPhys: hx(m.kernelImage.textPhys),
        textVirt: hx(m.kernelImage.textVirt),
        pgdPhys: hx(m.kernelImage.pgdPhys),
        endPhys: hx(m.kernelImage.endPhys),
      },
      e820: {
        firmware: m.e820.firmware.map((e) => ({ addr: hx(e.addr), size: hx(e.size), type: e.type })),
        kernel: m.e820.kernel.map((e) => ({ addr: hx(e.addr), size: hx(e.size), type: e.type })),
      },
      nosave: m.nosave.regions.map((r) => [r.startPfn, r.endPfn]),
      zones: m.zones.zones.map((z) => ({
        name: z.name,
        startPfn: z.startPfn,
        spanned: z.spannedPages,
        present: z.presentPages,
        managed: z.managedPages,
      })),
      memblock: {
        memory: m.memblock.memory.regions.map((r) => ({ base: hx(r.base), size: hx(r.size) })),
        reserved: m.memblock.reserved.regions.map((r) => ({ base: hx(r.base), size: hx(r.size) })),
      },
      symbols: Object.fromEntries(allSymbols(m).map((s) => [s.name, hx(s.virt)])),
    },
    oops: d.oops
      ? {
          address: hx(d.oops.address),
          func: d.oops.func,
          offset: d.oops.offset,
          rip: hx(d.oops.rip),
          pid: d.oops.pid,
          comm: d.oops.comm,
          trace: d.oops.trace,
          regs: Object.fromEntries(Object.entries(d.oops.regs).map(([k, v]) => [k, hx(v)])),
          walk: d.oops.walk.steps.map((s) => ({
            level: s.level,
            entryAddr: hx(s.entryAddr),
            value: hx(s.value),
          })),
        }
      : undefined,
    stats: d.stats,
    pages,
    content,
  };
  return `${JSON.stringify(doc)}\n`;
}
