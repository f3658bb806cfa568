/**
 * The HMM-story part of the `hiblab run` report (scenarios with `hmm:`,
 * src/scenario/hmm-story.ts): the driver settings, the processes and their
 * mappings, one line per step, and a livelock or signal report. Platform
 * neutral; text and JSON from the same record.
 *
 * JSON (key `hmm` of the run report, present only for scenarios with a story), stable keys:
 *   driver {faultOwner, migrateOwner, deviceMemory ('rpage'|'device'), freeze ('none'|'evict')},
 *   processes [{name, pid, capSysAdmin, mappings [{name, start (0x hex), size}]}],
 *   steps [{index, when ('before-hibernate'|'after-resume'), action, process (name) | null,
 *           mapping | null, text, ...action keys}]:
 *     write    {offset, bytes}
 *     migrate  {to ('device'|'system'), device (/dev path), ret, cpages, faults}
 *     pagemap  {page, address, entry (u64 as the process reads it, 0x hex), present, swap,
 *               frame (bits 0-54, 0x hex), privileged {entry, frame, swapType | null,
 *               swapTypeName | null, pfn (0x hex; the device pfn of a device-private entry) | null}}
 *     read     {bytes, mismatchedBytes, firstMismatch {offset, read (0x hex u32), wrote (0x hex u32)} | null}
 *     hibernate {verdict}
 *   livelock {address, faults, trace [innermost first], reason} | null,
 *   signal {name ('SIGBUS'|'SIGSEGV'), address} | null,
 *   freeze {evictedPages} | null (the driver's freeze callback ran),
 *   deviceMemoryLost {pages} | null (after a resume: device pages in use whose data was in device
 *     memory at power-off, i.e. not in the image)
 */

export type HmmStepWhen = 'before-hibernate' | 'after-resume';

export interface HmmPagemapView {
  entry: string;
  frame: string;
  swapType: number | null;
  swapTypeName: string | null;
  pfn: string | null;
}

export interface HmmStepRecord {
  index: number;
  when: HmmStepWhen;
  action: 'write' | 'migrate' | 'pagemap' | 'read' | 'hibernate';
  process: string | null;
  mapping: string | null;
  /** One line, as the text report prints it. */
  text: string;
  /** Action-specific keys (JSON header above). */
  detail: Record<string, unknown>;
}

export interface HmmStoryReport {
  driver: { faultOwner: string; migrateOwner: string; deviceMemory: string; freeze: string };
  processes: {
    name: string;
    pid: number;
    capSysAdmin: boolean;
    mappings: { name: string; start: number; size: number }[];
  }[];
  steps: HmmStepRecord[];
  livelock: { address: number; faults: number; trace: string[]; reason: string } | null;
  signal: { name: string; address: number } | null;
  freeze: { evictedPages: number } | null;
  deviceMemoryLost: { pages: number } | null;
}

const hx = (v: number | bigint): string => `0x${v.toString(16)}`;

/** The story block of the text report. */
export function hmmStoryLines(h: HmmStoryReport): string[] {
  const d = h.driver;
  const out = [
    `== HMM story (lib/test_hmm.c dmirror: faultOwner ${d.faultOwner}, migrateOwner ${d.migrateOwner}, device memory ${d.deviceMemory === 'rpage' ? 'in system rpages' : 'on the device'}, freeze ${d.freeze}) ==`,
  ];
  for (const p of h.processes) {
    const maps = p.mappings.map((m) => `${m.name} ${hx(m.start)}+${hx(m.size)}`).join(', ');
    out.push(`process ${p.name} (pid ${p.pid}${p.capSysAdmin ? ', CAP_SYS_ADMIN' : ''}): ${maps}`);
  }
  let when: HmmStepWhen = 'before-hibernate';
  for (const s of h.steps) {
    if (s.when !== when) {
      when = s.when;
      out.push('-- in the restored kernel --');
    }
    out.push(`[${s.index}] ${s.text}`);
  }
  if (h.freeze) out.push(`freeze: the driver evicted ${h.freeze.evictedPages} device page(s) to system RAM`);
  if (h.deviceMemoryLost)
    out.push(
      `power-off: ${h.deviceMemoryLost.pages} device page(s) in use held their data in device memory, which is not in the image (ZONE_DEVICE)`,
    );
  if (h.livelock) {
    const l = h.livelock;
    out.push(`livelock at ${hx(l.address)}: ${l.faults} faults without progress`);
    out.push(`  ${l.trace.join(' ← ')}`);
    out.push(`  ${l.reason}`);
  }
  if (h.signal) out.push(`signal: ${h.signal.name} at ${hx(h.signal.address)}`);
  return out;
}

/** The `hmm` object of the JSON report. */
export function hmmStoryJson(h: HmmStoryReport) {
  return {
    driver: { ...h.driver },
    processes: h.processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      capSysAdmin: p.capSysAdmin,
      mappings: p.mappings.map((m) => ({ name: m.name, start: hx(m.start), size: m.size })),
    })),
    steps: h.steps.map((s) => ({
      index: s.index,
      when: s.when,
      action: s.action,
      process: s.process,
      mapping: s.mapping,
      text: s.text,
      ...s.detail,
    })),
    livelock: h.livelock ? { ...h.livelock, address: hx(h.livelock.address) } : null,
    signal: h.signal ? { name: h.signal.name, address: hx(h.signal.address) } : null,
    freeze: h.freeze,
    deviceMemoryLost: h.deviceMemoryLost,
  };
}
