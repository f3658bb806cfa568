/**
 * HMM stories (`hmm:` in a scenario; issue 13, seed 002): processes with
 * anonymous mappings on the suspend boot's machine and the lib/test_hmm.c
 * dmirror driver, driven step by step — CPU stores and loads, device
 * migrations through the driver's ioctls (HMM_DMIRROR_MIGRATE_TO_DEV/_SYS),
 * /proc/PID/pagemap reads — and optionally a hibernate → resume cycle through
 * the engine (runScenario's own story: snapshot, image on the swap device,
 * resume boot, load, restore_image, verify), after which the steps go on in
 * the restored kernel.
 *
 * Hibernation and ZONE_DEVICE (kernel/power/snapshot.c): the snapshot walks
 * for_each_populated_zone() and saveable_page() rejects a pfn for which
 * pfn_to_online_page() is NULL (since "PM / Hibernate: use
 * pfn_to_online_page()", v5.0); pfn_to_online_page() (mm/memory_hotplug.c)
 * returns NULL for any pfn with a dev_pagemap ("the presence of a pgmap
 * indicates ZONE_DEVICE offline pfn"), and ZONE_DEVICE has no present pages,
 * so device memory is never in the image (saveable.ts implements both rules). What is saved is RAM: the user page
 * tables with their device-private swap entries, the memmap and the driver's
 * state. Upstream test_hmm has no dev_pm_ops, and its "device memory" is a
 * system page per device page (rpage), which is saved like any kernel
 * allocation. A real device keeps the data in its own memory
 * (`deviceMemory: device`): powered off by S4, it is gone after resume unless
 * the driver's freeze callback evicted it to system RAM (`freeze: evict`,
 * migrate_device_range() + migrate_device_pages/finalize over every chunk, as
 * dmirror_device_evict_chunk() does). Without eviction the restored PTE is
 * still the device-private entry (pagemap: swap bit, no present bit, frame 0
 * for an unprivileged reader), the struct page and pgmap are restored too, so
 * the CPU fault runs migrate_to_ram, which succeeds and copies what the
 * device's memory holds now (zeros after the power cycle): no SIGBUS, the
 * data is silently lost — nothing in the kernel can tell.
 *
 * After a resume the image kernel's memory is the image: every saved frame
 * the story touched is replaced by what restore_image put at that pfn in the
 * resume machine's memory, so the reads after resume check the real image.
 */
import { X86_MM_ARCH_OPS } from '../arch/x86/memory-hotplug.js';
import { FaultLivelock, UserSignal } from '../arch/x86/user-fault.js';
import { DmirrorDriver, type DmirrorParams } from '../drivers/test-hmm.js';
import { Syscalls, type System } from '../kernel/syscalls.js';
import { Tasks } from '../kernel/task.js';
import { MmContext } from '../mm/context.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../mm/mmap.js';
import { PM_PFRAME_MASK, PM_PRESENT, PM_SWAP, pagemapEntry } from '../mm/pagemap.js';
import type { HmmPagemapView, HmmStepWhen, HmmStoryReport } from '../report/hmm-story.js';
import { hmm_dmirror_cmd, newBuffer } from '../selftests/hmm-tests/harness.js';
import type { RunHooks, RunResult, SuspendBoot } from './run.js';
import type { HmmProcessSpec, HmmStep, Scenario } from './types.js';

interface Proc {
  spec: HmmProcessSpec;
  s: Syscalls;
  /** mapping name → start address */
  addr: Map<string, number>;
  /** What the process wrote (anonymous memory starts as zeros). */
  shadow: Map<string, Uint8Array>;
  /** Open dmirror fds by device number. */
  fds: Map<number, number>;
}

/** The story's live state on one machine. */
class Story {
  readonly ctx: MmContext;
  readonly driver: DmirrorDriver;
  readonly sys: System;
  readonly procs: Proc[] = [];
  readonly report: HmmStoryReport;
  private logMark = 0;
  /** Set when a step ended the story (livelock, signal). */
  ended: 'livelock' | 'sigbus' | 'sigsegv' | null = null;
  endReason = '';
  private readonly owners = new Map<string, { name: string }>();

  constructor(
    readonly sc: Scenario,
    readonly boot: SuspendBoot,
  ) {
    const spec = sc.hmm!;
    const m = boot.machine;
    this.ctx = new MmContext(m, sc.seed, X86_MM_ARCH_OPS);
    // empty_zero_page is in the kernel image's .bss: it reads zero, not generated kernel text.
    boot.content.clear(this.ctx.zeroPfn);
    this.clearFreeContent();
    const params: DmirrorParams = { devmemInDevice: spec.driver.deviceMemory === 'device' };
    if (spec.driver.faultOwner !== 'device') {
      const t = this.owner(spec.driver.faultOwner);
      params.faultOwner = () => t;
    }
    if (spec.driver.migrateOwner !== 'device') {
      const t = this.owner(spec.driver.migrateOwner);
      params.migrateOwner = () => t;
    }
    this.driver = new DmirrorDriver(this.ctx, params);
    this.sys = { ctx: this.ctx, tasks: new Tasks(this.ctx), devices: new Map() };
    for (const d of this.driver.init()) this.sys.devices.set(d.path, d);
    this.report = {
      driver: { ...spec.driver },
      processes: [],
      steps: [],
      livelock: null,
      signal: null,
      freeze: null,
      deviceMemoryLost: null,
    };
    for (const p of spec.processes) {
      const s = new Syscalls(this.sys, this.sys.tasks.spawn(p.capSysAdmin));
      const proc: Proc = { spec: p, s, addr: new Map(), shadow: new Map(), fds: new Map() };
      for (const mp of p.mappings) {
        const prot = mp.prot === 'rw' ? PROT_READ | PROT_WRITE : PROT_READ;
        const a = s.mmap(0, mp.size, prot, MAP_PRIVATE | MAP_ANONYMOUS);
        proc.addr.set(mp.name, a);
        proc.shadow.set(mp.name, new Uint8Array(mp.size));
      }
      this.procs.push(proc);
      this.report.processes.push({
        name: p.name,
        pid: s.pid,
        capSysAdmin: p.capSysAdmin,
        mappings: p.mappings.map((mp) => ({ name: mp.name, start: proc.addr.get(mp.name)!, size: mp.size })),
      });
    }
    this.flushLog();
  }

  /**
   * Free frames keep no generated contents: the mm model zeroes a page
   * (__GFP_ZERO, or copy_highpage from an all-zero page) by dropping its
   * bytes, which must then read zero — but free_initmem() gave the kernel
   * image's init pages back with their descriptors, and swsusp_free() gives
   * back the snapshot's copy frames with theirs.
   */
  private clearFreeContent(): void {
    const m = this.boot.machine;
    const content = this.boot.content;
    const buddy = m.buddy;
    for (const z of m.zones.zones) {
      for (let order = 0; order <= buddy.maxOrder; order++) {
        for (const head of buddy.listPfns(z.index, order)) {
          for (let i = 0; i < 2 ** order; i++) if (content.get(head + i)) content.clear(head + i);
        }
      }
    }
  }

  /** One token per owner name, so equal names are the same owner (pointer equality in the kernel). */
  private owner(name: string): { name: string } {
    let t = this.owners.get(name);
    if (!t) {
      t = { name };
      this.owners.set(name, t);
    }
    return t;
  }

  /** The kernel's pr_info lines since the last call, onto the console (its clock, not the mm's). */
  flushLog(): void {
    const log = this.ctx.log;
    for (; this.logMark < log.length; this.logMark++) {
      this.boot.con.print(log[this.logMark]!.replace(/^\[[ \d.]+\] /, ''));
    }
  }

  record(
    index: number,
    when: HmmStepWhen,
    step: HmmStep,
    text: string,
    detail: Record<string, unknown>,
  ): void {
    const p = step.action === 'hibernate' ? null : this.procs[step.process]!;
    this.report.steps.push({
      index,
      when,
      action: step.action,
      process: p ? p.spec.name : null,
      mapping: step.action === 'hibernate' ? null : step.mapping,
      text: p ? `${p.spec.name}: ${text}` : text,
      detail,
    });
  }

  /** Run one step (not hibernate); returns false when the story ended. */
  run(index: number, when: HmmStepWhen, step: Exclude<HmmStep, { action: 'hibernate' }>): boolean {
    const p = this.procs[step.process]!;
    const base = p.addr.get(step.mapping)!;
    const shadow = p.shadow.get(step.mapping)!;
    try {
      switch (step.action) {
        case 'write':
          this.write(index, when, step, p, base, shadow);
          break;
        case 'migrate':
          this.migrate(index, when, step, p, base, shadow.length);
          break;
        case 'pagemap':
          this.pagemap(index, when, step, p, base);
          break;
        case 'read':
          this.read(index, when, step, p, base, shadow);
          break;
      }
    } catch (e) {
      if (e instanceof FaultLivelock) {
        const r = e.report;
        this.report.livelock = {
          address: r.address,
          faults: r.faults,
          trace: [...r.trace],
          reason: r.reason,
        };
        this.record(
          index,
          when,
          step,
          `${step.action} ${step.mapping}: stopped, the CPU access livelocked`,
          {},
        );
        this.ended = 'livelock';
        this.endReason = `livelock: ${r.faults} faults at 0x${r.address.toString(16)} re-entered ${r.trace[0]} without progress (${r.reason})`;
        return false;
      }
      if (e instanceof UserSignal) {
        const name = e.signo === 7 ? 'SIGBUS' : 'SIGSEGV';
        this.report.signal = { name, address: e.address };
        this.record(index, when, step, `${step.action} ${step.mapping}: killed by ${name}`, {});
        this.ended = e.signo === 7 ? 'sigbus' : 'sigsegv';
        this.endReason = `${p.spec.name} got ${name} at 0x${e.address.toString(16)}`;
        return false;
      }
      throw e;
    } finally {
      this.flushLog();
    }
    return true;
  }

  private write(
    index: number,
    when: HmmStepWhen,
    step: Extract<HmmStep, { action: 'write' }>,
    p: Proc,
    base: number,
    shadow: Uint8Array,
  ): void {
    const s = p.s;
    const dv = new DataView(shadow.buffer);
    let off = step.offset;
    let what: string;
    if (step.u32 !== undefined) {
      s.setI32(base + off, step.u32 | 0);
      dv.setUint32(off, step.u32, true);
      what = `u32 0x${step.u32.toString(16)} at ${step.mapping}+0x${off.toString(16)}`;
      off += 4;
    } else if (step.fill !== undefined) {
      const b = step.fill;
      const word = (b * 0x01010101) | 0;
      for (; off < shadow.length && off % 4; off++) s.setU8(base + off, b);
      for (; off + 4 <= shadow.length; off += 4) s.setI32(base + off, word);
      for (; off < shadow.length; off++) s.setU8(base + off, b);
      shadow.fill(b, step.offset);
      what = `memset(${step.mapping}+0x${step.offset.toString(16)}, 0x${b.toString(16)}, ${shadow.length - step.offset})`;
    } else {
      // hmm-tests style: word i holds i (its index in the mapping).
      for (; off + 4 <= shadow.length; off += 4) {
        s.setI32(base + off, off / 4);
        dv.setUint32(off, off / 4, true);
      }
      what = `ptr[i] = i for the words of ${step.mapping} from +0x${step.offset.toString(16)}`;
    }
    this.record(index, when, step, `write ${what}`, { offset: step.offset, bytes: off - step.offset });
  }

  private fd(p: Proc, device: number): number {
    let fd = p.fds.get(device);
    if (fd === undefined) {
      fd = p.s.open(`/dev/hmm_dmirror${device}`, 2);
      p.fds.set(device, fd);
    }
    return fd;
  }

  private migrate(
    index: number,
    when: HmmStepWhen,
    step: Extract<HmmStep, { action: 'migrate' }>,
    p: Proc,
    base: number,
    size: number,
  ): void {
    const fd = this.fd(p, step.device);
    const ioc = this.ctx.hmm.ioctls;
    const nr = step.to === 'device' ? ioc.migrateToDev : ioc.migrateToSys;
    const name = step.to === 'device' ? 'HMM_DMIRROR_MIGRATE_TO_DEV' : 'HMM_DMIRROR_MIGRATE_TO_SYS';
    const b = newBuffer(size);
    b.ptr = base;
    b.mirror = p.s.malloc(size);
    const npages = size / 4096;
    const ret = fd < 0 ? fd : hmm_dmirror_cmd(p.s, fd, nr, b, npages);
    p.s.free(b.mirror);
    const dev = `/dev/hmm_dmirror${step.device}`;
    this.record(
      index,
      when,
      step,
      `ioctl(${dev}, ${name}, ${step.mapping}, ${npages} page${npages === 1 ? '' : 's'}) = ${ret}${ret === 0 ? `, cpages ${b.cpages}` : ''}`,
      { to: step.to, device: dev, ret, cpages: ret === 0 ? b.cpages : 0, faults: ret === 0 ? b.faults : 0 },
    );
  }

  private view(entry: bigint): HmmPagemapView {
    const frame = entry & PM_PFRAME_MASK;
    const swap = (entry & PM_SWAP) !== 0n;
    const type = swap ? Number(frame & 31n) : null;
    return {
      entry: `0x${entry.toString(16)}`,
      frame: `0x${frame.toString(16)}`,
      swapType: type,
      swapTypeName: type === null ? null : swapTypeName(this.ctx, type),
      pfn: swap ? `0x${(frame >> 5n).toString(16)}` : entry & PM_PRESENT ? `0x${frame.toString(16)}` : null,
    };
  }

  private pagemap(
    index: number,
    when: HmmStepWhen,
    step: Extract<HmmStep, { action: 'pagemap' }>,
    p: Proc,
    base: number,
  ): void {
    const va = base + step.page * 4096;
    const mm = p.s.task.mm;
    const e = pagemapEntry(this.ctx, mm, va, p.s.task.capSysAdmin);
    const priv = this.view(pagemapEntry(this.ctx, mm, va, true));
    const present = (e & PM_PRESENT) !== 0n;
    const swap = (e & PM_SWAP) !== 0n;
    const frame = e & PM_PFRAME_MASK;
    let text = `pagemap ${step.mapping} page ${step.page} (0x${va.toString(16)}) = 0x${e.toString(16).padStart(16, '0')}: present ${present ? 1 : 0}, swap ${swap ? 1 : 0}, frame 0x${frame.toString(16)}`;
    if (frame === 0n && (present || swap) && !p.s.task.capSysAdmin)
      text += ' (no CAP_SYS_ADMIN: "Zero page frame number")';
    if (swap) {
      const dev = this.ctx.isDevicePrivate(Number(BigInt(priv.pfn!)));
      text += `; as root: type ${priv.swapType} ${priv.swapTypeName}, offset ${priv.pfn}${dev ? ' = a device-private pfn' : ''}`;
    } else if (present) text += `; as root: pfn ${priv.pfn}`;
    this.record(index, when, step, text, {
      page: step.page,
      address: `0x${va.toString(16)}`,
      entry: `0x${e.toString(16)}`,
      present,
      swap,
      frame: `0x${frame.toString(16)}`,
      privileged: priv,
    });
  }

  private read(
    index: number,
    when: HmmStepWhen,
    step: Extract<HmmStep, { action: 'read' }>,
    p: Proc,
    base: number,
    shadow: Uint8Array,
  ): void {
    const dv = new DataView(shadow.buffer);
    let bad = 0;
    let first: { offset: number; read: string; wrote: string } | null = null;
    for (let off = 0; off < shadow.length; off += 4) {
      const got = p.s.getI32(base + off) >>> 0;
      const want = dv.getUint32(off, true);
      if (got === want) continue;
      for (let k = 0; k < 4; k++) if (((got ^ want) >>> (k * 8)) & 0xff) bad++;
      first ??= { offset: off, read: `0x${got.toString(16)}`, wrote: `0x${want.toString(16)}` };
    }
    const text = first
      ? `read ${step.mapping} (${shadow.length} bytes): ${bad} byte(s) differ from what was written; first at +0x${first.offset.toString(16)}: read ${first.read}, wrote ${first.wrote}`
      : `read ${step.mapping} (${shadow.length} bytes): equal to what was written`;
    this.record(index, when, step, text, {
      bytes: shadow.length,
      mismatchedBytes: bad,
      firstMismatch: first,
    });
  }

  /** The driver's freeze callback (model: upstream test_hmm has no dev_pm_ops). */
  freeze(): void {
    if (this.sc.hmm!.driver.freeze !== 'evict') return;
    let n = 0;
    for (const dev of this.driver.devices) {
      for (const chunk of dev.chunks) {
        for (let pfn = chunk.pagemap.startPfn; pfn < chunk.pagemap.endPfn; pfn++)
          if (this.ctx.pages.ref(pfn) > 0) n++;
        this.driver.evictChunk(chunk);
      }
    }
    this.ctx.pr(`dmirror: freeze: migrated ${n} device page(s) to system memory`);
    this.flushLog();
    this.report.freeze = { evictedPages: n };
  }

  /**
   * The restored kernel's memory is the image: the saved frames this machine
   * materialised take the bytes restore_image left at that pfn in the resume
   * machine; device memory (every pgmap range) lost power and reads zero.
   */
  adoptRestoredMemory(r: RunResult): void {
    const man = r.suspend.hibernate!.manifest;
    const mine = this.boot.machine.mem;
    const restored = r.resume!.machine.mem;
    const L = man.pfns;
    for (let run = 0; run < L.runs; run++) {
      const zero = L.runIsZero(run);
      for (let pfn = L.runStart(run), e = pfn + L.runLength(run); pfn < e; pfn++) {
        if (!mine.isMaterialised(pfn)) continue;
        if (zero) mine.zeroPage(pfn);
        else restored.readPageInto(pfn, mine.frame(pfn));
      }
    }
    let lost = 0;
    for (const pg of this.ctx.pgmaps) {
      for (let pfn = pg.startPfn; pfn < pg.endPfn; pfn++) {
        if (!mine.isMaterialised(pfn)) continue;
        // A device page in use (refcount > 0) loses its data; a free one only stale bytes.
        if (this.ctx.pages.ref(pfn) > 0) lost++;
        mine.discard(pfn);
      }
    }
    // A new CR3 after the jump: no cached translation survives.
    this.ctx.tlbGen++;
    this.clearFreeContent();
    this.report.deviceMemoryLost = { pages: lost };
  }
}

const SWAP_TYPE_NAMES: [keyof MmContext['hmm']['swap'], string][] = [
  ['deviceWrite', 'SWP_DEVICE_WRITE'],
  ['deviceRead', 'SWP_DEVICE_READ'],
  ['deviceExclusiveWrite', 'SWP_DEVICE_EXCLUSIVE_WRITE'],
  ['deviceExclusiveRead', 'SWP_DEVICE_EXCLUSIVE_READ'],
  ['migrationRead', 'SWP_MIGRATION_READ'],
  ['migrationReadExclusive', 'SWP_MIGRATION_READ_EXCLUSIVE'],
  ['migrationWrite', 'SWP_MIGRATION_WRITE'],
  ['hwpoison', 'SWP_HWPOISON'],
  ['pteMarker', 'SWP_PTE_MARKER'],
];

/** The swap.h name of a swap type in this profile's numbering. */
function swapTypeName(ctx: MmContext, type: number): string {
  for (const [k, name] of SWAP_TYPE_NAMES) if (ctx.hmm.swap[k] === type) return name;
  return `swap file ${type}`;
}

/** The story's verdict once every step ran: data-lost when a read saw other bytes than were written. */
function finalVerdict(story: Story, hibernated: RunResult | null): Pick<RunResult, 'verdict' | 'reason'> {
  const bad = story.report.steps.filter(
    (s) => s.action === 'read' && (s.detail.mismatchedBytes as number) > 0,
  );
  if (bad.length) {
    const s = bad[0]!;
    return {
      verdict: 'data-lost',
      reason: `${s.process} read ${s.mapping} back${s.when === 'after-resume' ? ' after resume' : ''}: ${s.detail.mismatchedBytes} byte(s) differ from what it wrote`,
    };
  }
  const reads = story.report.steps.filter((s) => s.action === 'read').length;
  if (hibernated) {
    return {
      verdict: 'resumed',
      reason: `${hibernated.reason}; ${reads ? 'every read after resume saw what the process wrote' : 'no step read the data back'}`,
    };
  }
  return {
    verdict: 'completed',
    reason: `${story.report.steps.length} step(s) ran${reads ? '; every read saw what the process wrote' : ''}`,
  };
}

/**
 * Run the scenario's HMM story; `engine(hooks)` is runScenario's own story
 * (boot, hibernate, resume) with the story's hooks inside it.
 */
export async function runHmmStory(
  sc: Scenario,
  engine: (hooks: RunHooks) => Promise<RunResult>,
): Promise<RunResult> {
  const steps = sc.hmm!.steps;
  const h = steps.findIndex((s) => s.action === 'hibernate');
  const before = h < 0 ? steps : steps.slice(0, h);
  let story: Story | undefined;
  const early = (s: SuspendBoot, extra: Pick<RunResult, 'verdict' | 'reason'>): RunResult => ({
    scenario: sc,
    ...extra,
    suspend: { profile: s.r.profile.id, console: s.con.lines, machine: s.machine, content: s.content },
    restoredConsole: [],
    hmm: story!.report,
  });
  return engine({
    suspendBooted: (s) => {
      story = new Story(sc, s);
      for (const [i, st] of before.entries()) {
        if (st.action === 'hibernate') continue;
        if (!story.run(i, 'before-hibernate', st))
          return early(s, { verdict: story.ended!, reason: story.endReason });
      }
      if (h < 0) return early(s, finalVerdict(story, null));
      story.record(h, 'before-hibernate', steps[h]!, 'echo disk > /sys/power/state', {});
      return undefined;
    },
    freezeDevices: () => story?.freeze(),
    resumed: (r) => {
      const st = story!;
      r.hmm = st.report;
      const hib = st.report.steps.at(-1)!;
      hib.detail = { verdict: r.verdict };
      if (r.verdict !== 'resumed') return r;
      st.adoptRestoredMemory(r);
      // The image kernel prints on in its own console ('restored' events), kept in restoredConsole.
      const con = st.boot.con;
      const mark = con.lines.length;
      let ended = false;
      for (let i = h + 1; i < steps.length && !ended; i++) {
        const step = steps[i]!;
        if (step.action !== 'hibernate') ended = !st.run(i, 'after-resume', step);
      }
      r.restoredConsole.push(...con.lines.splice(mark));
      const v = ended ? { verdict: st.ended!, reason: st.endReason } : finalVerdict(st, r);
      return { ...r, ...v };
    },
  });
}
