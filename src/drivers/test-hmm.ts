/**
 * lib/test_hmm.c, the "dmirror" HMM test driver (DRV-BASE semantics, the
 * profile's ioctl numbering): /dev/hmm_dmirror0..3 — 0 and 1 device-private,
 * 2 and 3 device-coherent when spm_addr_dev0/1 are given (dmirror2 gets
 * spm_addr_dev1, dmirror3 spm_addr_dev0: the driver's quirk). Each open()
 * mirrors the opener's mm in a software page table (`pt`, keyed by user
 * page number; tag 0 read-only, 1 ATOMIC, 3 WRITE) kept coherent by an
 * mmu_interval_notifier over the whole address space. Device memory comes in
 * 256 MiB chunks from memremap_pages(); a private device page is backed by a
 * system "rpage" that holds its data.
 *
 * The owners are configurable only so that seed 002's broken module can be
 * reproduced: the real driver uses the mdevice everywhere.
 */
import { copyFromUser, copyToUser } from '../arch/x86/user-fault.js';
import type { CharDevice, OpenFile } from '../kernel/files.js';
import type { Task } from '../kernel/task.js';
import type { MmContext } from '../mm/context.js';
import { makeDeviceExclusiveRange } from '../mm/device-exclusive.js';
import type { VmFault } from '../mm/fault.js';
import {
  HMM_PFN_ERROR,
  HMM_PFN_REQ_FAULT,
  HMM_PFN_REQ_WRITE,
  HMM_PFN_VALID,
  HMM_PFN_WRITE,
  hmmPfnOrder,
  hmmRangeFault,
} from '../mm/hmm.js';
import {
  DevPagemap,
  memremapPages,
  memunmapPages,
  requestFreeMemRegion,
  zoneDevicePageInit,
} from '../mm/memremap.js';
import {
  MIGRATE_PFN_MIGRATE,
  MIGRATE_PFN_VALID,
  MIGRATE_PFN_WRITE,
  MIGRATE_VMA_SELECT_DEVICE_COHERENT,
  MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
  MIGRATE_VMA_SELECT_SYSTEM,
  type MigrateVma,
  migrateDeviceFinalize,
  migrateDevicePages,
  migrateDeviceRange,
  migratePfn,
  migratePfnFlags,
  migratePfnToPage,
  migrateVmaFinalize,
  migrateVmaPages,
  migrateVmaSetup,
  newMigrateVma,
} from '../mm/migrate-device.js';
import type { MmStruct } from '../mm/mm-struct.js';
import { EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, EPERM } from '../mm/mmap.js';
import {
  type IntervalNotifier,
  mmuIntervalNotifierInsert,
  mmuIntervalNotifierRemove,
  mmuIntervalReadBegin,
  mmuIntervalReadRetry,
  mmuIntervalSetSeq,
} from '../mm/mmu-notifier.js';
import { PTE_ACCESSED, PTE_PRESENT, PTE_USER, setPte } from '../mm/pte.js';
import { pageAddRmap } from '../mm/rmap.js';
import { VM_MIXEDMAP, VM_READ, VM_WRITE, type Vma } from '../mm/vma.js';
import { DmirrorPt } from './dmirror-pt.js';
import * as U from './test-hmm-uapi.js';

export const DEVMEM_CHUNK_SIZE = 256 * 1024 * 1024;
const DPT_XA_TAG_ATOMIC = 1;
const DPT_XA_TAG_WRITE = 3;

/** Module parameters and the seed-002 overrides. */
export interface DmirrorParams {
  spmAddrDev0?: number;
  spmAddrDev1?: number;
  /** pgmap_owner used by migrate_to_ram (dmirror_devmem_fault); default: the device. */
  faultOwner?: (dev: DmirrorDevice) => unknown;
  /** pgmap_owner of migrations to the device; default: the device. */
  migrateOwner?: (dev: DmirrorDevice) => unknown;
  /**
   * Not upstream: a private device page keeps its data in the device's own
   * memory (the ZONE_DEVICE frame) instead of a system rpage, as a real
   * device's VRAM does — so it is not in the hibernation image (the HMM
   * hibernation stories). zone_device_data then names the mirror directly.
   */
  devmemInDevice?: boolean;
}

interface Chunk {
  pagemap: DevPagemap;
  remove: boolean;
}

/** struct dmirror_device. */
export class DmirrorDevice implements CharDevice {
  readonly chunks: Chunk[] = [];
  freeHead = -1;
  calloc = 0;
  cfree = 0;
  readonly name: string;
  constructor(
    readonly drv: DmirrorDriver,
    readonly minor: number,
    readonly memType: number,
  ) {
    this.name = `hmm_dmirror${minor}`;
  }
  get path(): string {
    return `/dev/${this.name}`;
  }
  open(task: Task): unknown {
    return this.drv.open(this, task);
  }
  ioctl(file: OpenFile, task: Task, cmd: number, arg: number): number {
    return this.drv.ioctl(file.priv as Dmirror, task, cmd, arg);
  }
  release(file: OpenFile): void {
    this.drv.release(file.priv as Dmirror);
  }
  mmap(file: OpenFile, vma: Vma): number {
    return this.drv.mmap(file.priv as Dmirror, vma);
  }
}

/** struct dmirror (per open file). */
export class Dmirror {
  /** The simulated device page table: user pfn → page pfn * 4 + tag. */
  readonly pt = new DmirrorPt();
  notifier!: IntervalNotifier;
  constructor(
    readonly id: number,
    readonly mdevice: DmirrorDevice,
    readonly mm: MmStruct,
  ) {}
}

export class DmirrorDriver {
  readonly devices: DmirrorDevice[] = [];
  readonly mirrors = new Map<number, Dmirror>();
  private nextId = 1;

  constructor(
    readonly ctx: MmContext,
    readonly params: DmirrorParams = {},
  ) {}

  /** hmm_dmirror_init(): devices 0,1 private; 2,3 coherent only with both SPM addresses; one chunk each. */
  init(): DmirrorDevice[] {
    const n = this.ctx.hmm.dmirrorDevices;
    for (let i = 0; i < n; i++) {
      const type =
        i < 2
          ? U.HMM_DMIRROR_MEMORY_DEVICE_PRIVATE
          : this.params.spmAddrDev0 && this.params.spmAddrDev1
            ? U.HMM_DMIRROR_MEMORY_DEVICE_COHERENT
            : 0;
      if (!type) continue;
      const dev = new DmirrorDevice(this, i, type);
      if (!this.allocateChunk(dev, false)) continue;
      this.devices.push(dev);
    }
    this.ctx.pr('HMM test module loaded. This is only for testing HMM.');
    return this.devices;
  }

  private isPrivate(dev: DmirrorDevice): boolean {
    return dev.memType === U.HMM_DMIRROR_MEMORY_DEVICE_PRIVATE;
  }

  /** BACKING_PAGE(): the rpage of a private device page, else the page itself. */
  backing(pfn: number): number {
    return this.ctx.isDevicePrivate(pfn) && !this.params.devmemInDevice
      ? this.ctx.fields.zoneDeviceData(pfn)
      : pfn;
  }

  /** dmirror_allocate_chunk(): returns the popped page when `want`, true/false otherwise. */
  private allocateChunk(dev: DmirrorDevice, want: boolean): number | boolean {
    const ctx = this.ctx;
    let start: number;
    if (this.isPrivate(dev)) {
      start = requestFreeMemRegion(ctx, DEVMEM_CHUNK_SIZE);
      if (start < 0) return false;
    } else {
      start = (dev.minor - 2 ? this.params.spmAddrDev0 : this.params.spmAddrDev1)!;
    }
    const pgmap = new DevPagemap(
      this.isPrivate(dev) ? 'private' : 'coherent',
      start / 4096,
      (start + DEVMEM_CHUNK_SIZE) / 4096,
      dev,
      {
        pageFree: (pfn) => this.devmemFree(dev, pfn),
        migrateToRam: (vmf) => this.devmemFault(vmf),
        migrateToRamName: 'dmirror_devmem_fault',
      },
    );
    if (memremapPages(ctx, pgmap) < 0) return false;
    const chunk: Chunk = { pagemap: pgmap, remove: false };
    dev.chunks.push(chunk);
    for (let pfn = pgmap.startPfn; pfn < pgmap.endPfn; pfn++) {
      ctx.fields.setZoneDeviceData(pfn, dev.freeHead);
      dev.freeHead = pfn;
    }
    const mb = DEVMEM_CHUNK_SIZE / (1024 * 1024);
    ctx.pr(
      `added new ${mb} MB chunk (total ${dev.chunks.length} chunks, ${dev.chunks.length * mb} MB) PFNs [0x${pgmap.startPfn.toString(16)} 0x${pgmap.endPfn.toString(16)})`,
    );
    if (!want) return true;
    const p = dev.freeHead;
    dev.freeHead = ctx.fields.zoneDeviceData(p);
    dev.calloc++;
    return p;
  }

  /** dmirror_devmem_alloc_page(): a locked device page (with its rpage when private), or -1. */
  private devmemAllocPage(dev: DmirrorDevice): number {
    const ctx = this.ctx;
    let rpage = -1;
    if (this.isPrivate(dev) && !this.params.devmemInDevice) {
      rpage = ctx.allocPages(0, false);
      if (rpage < 0) return -1;
    }
    let dpage: number;
    if (dev.freeHead >= 0) {
      dpage = dev.freeHead;
      dev.freeHead = ctx.fields.zoneDeviceData(dpage);
      dev.calloc++;
    } else {
      const r = this.allocateChunk(dev, true);
      if (typeof r !== 'number') {
        if (rpage >= 0) ctx.putPage(rpage);
        return -1;
      }
      dpage = r;
    }
    zoneDevicePageInit(ctx, dpage);
    ctx.fields.setZoneDeviceData(dpage, rpage);
    return dpage;
  }

  /** dmirror_devmem_free(): ops->page_free. */
  private devmemFree(dev: DmirrorDevice, pfn: number): void {
    const ctx = this.ctx;
    if (this.isPrivate(dev) && !this.params.devmemInDevice) {
      const rpage = ctx.fields.zoneDeviceData(pfn);
      if (rpage >= 0) ctx.putPage(rpage);
    }
    let chunk: Chunk | undefined;
    for (const c of dev.chunks) if (pfn >= c.pagemap.startPfn && pfn < c.pagemap.endPfn) chunk = c;
    if (chunk && !chunk.remove) {
      dev.cfree++;
      ctx.fields.setZoneDeviceData(pfn, dev.freeHead);
      dev.freeHead = pfn;
    }
  }

  // ---- file operations ----

  open(dev: DmirrorDevice, task: Task): Dmirror {
    const d = new Dmirror(this.nextId++, dev, task.mm);
    d.notifier = mmuIntervalNotifierInsert(task.mm, 0, 2 ** 64 - 4096, {
      invalidate: (sub, range, cur) => {
        // dmirror_interval_invalidate(): our own migrations keep the mirror.
        if (range.event === 'MMU_NOTIFY_MIGRATE' && range.owner === dev) return true;
        mmuIntervalSetSeq(sub, cur);
        this.invalidate(d, range.start, range.end);
        return true;
      },
    });
    this.mirrors.set(d.id, d);
    return d;
  }

  /** dmirror_do_update(): erase [start>>12, end>>12] — inclusive end (xa_for_each_range): one page too many. */
  private invalidate(d: Dmirror, start: number, end: number): void {
    const s = Math.floor(start / 4096);
    d.pt.eraseRange(s, Math.floor(end / 4096));
  }

  release(d: Dmirror): void {
    mmuIntervalNotifierRemove(d.notifier);
    this.mirrors.delete(d.id);
  }

  /** dmirror_fops_mmap(): zeroed kernel pages via vm_insert_page (sets VM_MIXEDMAP). */
  mmap(_d: Dmirror, vma: Vma): number {
    const ctx = this.ctx;
    vma.flags |= VM_MIXEDMAP;
    for (let va = vma.start; va < vma.end; va += 4096) {
      const page = ctx.allocPages(0, true);
      if (page < 0) return -ENOMEM;
      const t = vma.mm.pteTable(va, true)!;
      pageAddRmap(ctx, page);
      setPte(t, Math.floor(va / 4096) % 512, page, PTE_PRESENT | PTE_USER | PTE_ACCESSED);
    }
    return 0;
  }

  // ---- ioctl ----

  ioctl(d: Dmirror, task: Task, cmd: number, arg: number): number {
    const ctx = this.ctx;
    const raw = copyFromUser(ctx, task.mm, arg, U.HMM_DMIRROR_CMD_SIZE);
    if (!raw) return -EFAULT;
    const dv = new DataView(raw.buffer);
    const c = {
      addr: Number(dv.getBigUint64(0, true)),
      ptr: Number(dv.getBigUint64(8, true)),
      npages: Number(dv.getBigUint64(16, true)),
      cpages: 0,
      faults: 0,
    };
    if (c.addr % 4096) return -EINVAL;
    if (c.addr >= c.addr + c.npages * 4096) return -EINVAL;
    const io = ctx.hmm.ioctls;
    const nr = cmd & 0xff;
    if (cmd !== U.hmmIoctl(nr)) return -EINVAL;
    let ret: number;
    if (nr === io.read) ret = this.read(d, c);
    else if (nr === io.write) ret = this.write(d, c);
    else if (nr === io.migrateToDev) ret = this.migrateToDevice(d, c);
    else if (nr === io.migrateToSys) ret = this.migrateToSystem(d, c);
    else if (nr === io.exclusive) ret = this.exclusive(d, c);
    else if (nr === io.checkExclusive) ret = this.checkExclusive(d, c);
    else if (nr === io.snapshot) ret = this.snapshot(d, c);
    else if (io.release !== null && nr === io.release) {
      this.removeChunks(d.mdevice);
      ret = 0;
    } else ret = -EINVAL;
    if (ret) return ret;
    dv.setBigUint64(24, BigInt(c.cpages), true);
    dv.setBigUint64(32, BigInt(c.faults), true);
    if (!copyToUser(ctx, task.mm, arg, raw)) return -EFAULT;
    return 0;
  }

  /** dmirror_do_read(): copy mirrored pages from `start`; -ENOENT at the first hole. */
  private doRead(
    d: Dmirror,
    c: { addr: number; npages: number; cpages: number },
    start: number,
    bounce: Uint8Array,
  ): number {
    const end = c.addr + c.npages * 4096;
    for (let va = start; va < end; va += 4096) {
      const e = d.pt.get(va / 4096);
      if (e < 0) return -ENOENT;
      this.ctx.mem.readPageInto(Math.floor(e / 4), bounce, va - c.addr);
      c.cpages++;
    }
    return 0;
  }

  private doWrite(
    d: Dmirror,
    c: { addr: number; npages: number; cpages: number },
    start: number,
    bounce: Uint8Array,
  ): number {
    const end = c.addr + c.npages * 4096;
    for (let va = start; va < end; va += 4096) {
      const e = d.pt.get(va / 4096);
      if (e < 0 || (e & 3) !== DPT_XA_TAG_WRITE) return -ENOENT;
      this.ctx.mem.frame(Math.floor(e / 4)).set(bounce.subarray(va - c.addr, va - c.addr + 4096));
      c.cpages++;
    }
    return 0;
  }

  private read(d: Dmirror, c: Cmd): number {
    const bounce = new Uint8Array(c.npages * 4096);
    for (;;) {
      const ret = this.doRead(d, c, c.addr + c.cpages * 4096, bounce);
      if (ret === 0) break;
      if (ret !== -ENOENT) return ret;
      const f = this.fault(d, c.addr + c.cpages * 4096, c.addr + c.npages * 4096, false);
      if (f) return f;
      c.faults++;
    }
    return copyToUser(this.ctx, d.mm, c.ptr, bounce) ? 0 : -EFAULT;
  }

  private write(d: Dmirror, c: Cmd): number {
    const bounce = copyFromUser(this.ctx, d.mm, c.ptr, c.npages * 4096);
    if (!bounce) return -EFAULT;
    for (;;) {
      const ret = this.doWrite(d, c, c.addr + c.cpages * 4096, bounce);
      if (ret === 0) break;
      if (ret !== -ENOENT) return ret;
      const f = this.fault(d, c.addr + c.cpages * 4096, c.addr + c.npages * 4096, true);
      if (f) return f;
      c.faults++;
    }
    return 0;
  }

  /** dmirror_fault() → dmirror_range_fault() per 64-page chunk. */
  private fault(d: Dmirror, start: number, end: number, write: boolean): number {
    const chunk = this.ctx.hmm.dmirrorFaultChunk * 4096;
    for (let a = start; a < end; a += chunk) {
      const next = Math.min(end, a + chunk);
      const n = (next - a) / 4096;
      const range = {
        notifier: d.notifier,
        notifierSeq: 0,
        start: a,
        end: next,
        pfns: new Float64Array(n),
        flags: new Uint8Array(n),
        defaultFlags: HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0),
        devPrivateOwner: d.mdevice,
      };
      const ret = this.rangeFault(d, range, (r) => {
        for (let k = 0; k < n; k++) {
          const f = r.flags[k]!;
          if (write && !(f & HMM_PFN_WRITE)) {
            this.ctx.pr('WARNING: dmirror_do_fault: write requested but the page is not writable');
            return -EFAULT;
          }
          d.pt.set(a / 4096 + k, r.pfns[k]! * 4 + (f & HMM_PFN_WRITE ? DPT_XA_TAG_WRITE : 0));
        }
        return 0;
      });
      if (ret) return ret;
    }
    return 0;
  }

  /** The retry loop around hmm_range_fault (HMM_RANGE_DEFAULT_TIMEOUT modelled as a retry budget). */
  private rangeFault(
    d: Dmirror,
    range: Parameters<typeof hmmRangeFault>[2],
    done: (r: typeof range) => number,
  ): number {
    for (let tries = 0; tries < 1000; tries++) {
      range.notifierSeq = mmuIntervalReadBegin(range.notifier);
      // mmap_read_lock(); hmm_range_fault(); mmap_read_unlock();
      const ret = hmmRangeFault(this.ctx, d.mm, range);
      this.ctx.mmapReadUnlock();
      if (ret) {
        if (ret === -EBUSY) continue;
        return ret;
      }
      if (mmuIntervalReadRetry(range.notifier, range.notifierSeq)) continue;
      return done(range);
    }
    return -EBUSY;
  }

  private migrateOwner(dev: DmirrorDevice): unknown {
    return this.params.migrateOwner ? this.params.migrateOwner(dev) : dev;
  }

  /** dmirror_migrate_to_device(). */
  private migrateToDevice(d: Dmirror, c: Cmd): number {
    const ctx = this.ctx;
    const end = c.addr + c.npages * 4096;
    const step = ctx.hmm.dmirrorMigrateChunk * 4096;
    // unsigned long src_pfns[64], dst_pfns[64] on the kernel stack: one pair for every step.
    const src = new Float64Array(ctx.hmm.dmirrorMigrateChunk);
    const dst = new Float64Array(ctx.hmm.dmirrorMigrateChunk);
    for (let addr = c.addr; addr < end; ) {
      const vma = d.mm.vmaLookup(addr);
      if (!vma || !(vma.flags & VM_READ)) return -EINVAL;
      const next = Math.min(end, addr + step, vma.end);
      const owner = this.migrateOwner(d.mdevice);
      const m = newMigrateVma(vma, addr, next, owner, MIGRATE_VMA_SELECT_SYSTEM, src, dst);
      const ret = migrateVmaSetup(ctx, m);
      if (ret) return ret;
      this.migrateAllocAndCopy(d, m);
      migrateVmaPages(ctx, m);
      this.migrateFinalizeAndMap(d, m);
      migrateVmaFinalize(ctx, m);
      addr = next;
    }
    // Read back: every page must now be mirrored (dmirror_do_read into a bounce buffer of the
    // whole range, then copy_to_user). Checked for the whole range first, then copied a piece
    // at a time: the same result without a range-sized buffer (1 GiB in bench/hmm.ts).
    for (let p = c.addr / 4096; p < end / 4096; p++) if (!d.pt.has(p)) return -ENOENT;
    const piece = Math.min(c.npages, 64) * 4096;
    const bounce = new Uint8Array(piece);
    for (let off = 0; off < c.npages * 4096; off += piece) {
      const n = Math.min(piece, c.npages * 4096 - off);
      const part = { addr: c.addr + off, npages: n / 4096, cpages: c.cpages };
      this.doRead(d, part, part.addr, bounce);
      c.cpages = part.cpages;
      if (!copyToUser(ctx, d.mm, c.ptr + off, bounce.subarray(0, n))) return -EFAULT;
    }
    return 0;
  }

  /** dmirror_migrate_alloc_and_copy(). */
  private migrateAllocAndCopy(d: Dmirror, m: MigrateVma): void {
    const ctx = this.ctx;
    for (let k = 0; k < m.npages; k++) {
      const s = m.src[k]!;
      if (!(migratePfnFlags(s) & MIGRATE_PFN_MIGRATE)) continue;
      const spage = migratePfnToPage(s);
      if (spage >= 0 && ctx.pgmapOf(spage)) {
        ctx.pr('WARNING: dmirror_migrate_alloc_and_copy: source is a device page');
        continue;
      }
      const dpage = this.devmemAllocPage(d.mdevice);
      if (dpage < 0) continue;
      const rpage = this.backing(dpage);
      if (spage >= 0) ctx.copyPage(rpage, spage);
      else ctx.clearPage(rpage);
      // rpage->zone_device_data = dmirror (for coherent: the device page itself).
      ctx.fields.setZoneDeviceData(
        rpage,
        this.isPrivate(d.mdevice) ? d.id : ctx.fields.zoneDeviceData(dpage),
      );
      if (!this.isPrivate(d.mdevice)) this.coherentOwner.set(dpage, d.id);
      let dst = migratePfn(dpage);
      if (migratePfnFlags(s) & MIGRATE_PFN_WRITE || (spage < 0 && m.vma.flags & VM_WRITE))
        dst += MIGRATE_PFN_WRITE;
      m.dst[k] = dst;
    }
  }

  /** For coherent pages BACKING_PAGE is the device page, whose zone_device_data names the mirror. */
  private readonly coherentOwner = new Map<number, number>();

  /** dmirror_migrate_finalize_and_map(). */
  private migrateFinalizeAndMap(d: Dmirror, m: MigrateVma): void {
    for (let k = 0; k < m.npages; k++) {
      const s = m.src[k]!;
      const dpage = migratePfnToPage(m.dst[k]!);
      if (!(migratePfnFlags(s) & MIGRATE_PFN_MIGRATE) || dpage < 0) continue;
      const tag = migratePfnFlags(m.dst[k]!) & MIGRATE_PFN_WRITE ? DPT_XA_TAG_WRITE : 0;
      d.pt.set(m.start / 4096 + k, this.backing(dpage) * 4 + tag);
    }
  }

  private selectDevice(dev: DmirrorDevice): number {
    return this.isPrivate(dev) ? MIGRATE_VMA_SELECT_DEVICE_PRIVATE : MIGRATE_VMA_SELECT_DEVICE_COHERENT;
  }

  /** dmirror_devmem_fault_alloc_and_copy(). */
  private faultAllocAndCopy(d: Dmirror | undefined, m: MigrateVma): void {
    const ctx = this.ctx;
    for (let k = 0; k < m.npages; k++) {
      const s = m.src[k]!;
      const spage = migratePfnToPage(s);
      if (spage < 0 || !(migratePfnFlags(s) & MIGRATE_PFN_MIGRATE)) continue;
      const dpage = ctx.allocPages(0, false);
      if (dpage < 0) continue;
      ctx.lockPage(dpage);
      d?.pt.delete(m.start / 4096 + k);
      ctx.copyPage(dpage, this.backing(spage));
      let dst = migratePfn(dpage);
      if (migratePfnFlags(s) & MIGRATE_PFN_WRITE) dst += MIGRATE_PFN_WRITE;
      m.dst[k] = dst;
    }
  }

  /** dmirror_devmem_fault(): pgmap->ops->migrate_to_ram — one page back to RAM. */
  private devmemFault(vmf: VmFault): number {
    const ctx = this.ctx;
    const rpage = this.backing(vmf.page);
    const d = this.mirrors.get(ctx.fields.zoneDeviceData(rpage));
    const dev = (ctx.pgmapOf(vmf.page)!.owner as DmirrorDevice) ?? d?.mdevice;
    const owner = this.params.faultOwner ? this.params.faultOwner(dev) : (d?.mdevice ?? dev);
    const m = newMigrateVma(vmf.vma, vmf.address, vmf.address + 4096, owner, this.selectDevice(dev));
    m.faultPage = vmf.page;
    if (migrateVmaSetup(ctx, m)) return 0x2; // VM_FAULT_SIGBUS
    this.faultAllocAndCopy(d, m);
    migrateVmaPages(ctx, m);
    migrateVmaFinalize(ctx, m);
    return 0;
  }

  /** dmirror_migrate_to_system(). */
  private migrateToSystem(d: Dmirror, c: Cmd): number {
    const ctx = this.ctx;
    const end = c.addr + c.npages * 4096;
    const step = ctx.hmm.dmirrorMigrateChunk * 4096;
    const src = new Float64Array(ctx.hmm.dmirrorMigrateChunk);
    const dst = new Float64Array(ctx.hmm.dmirrorMigrateChunk);
    for (let addr = c.addr; addr < end; ) {
      const vma = d.mm.vmaLookup(addr);
      if (!vma || !(vma.flags & VM_READ)) return -EINVAL;
      const next = Math.min(end, addr + step, vma.end);
      const m = newMigrateVma(vma, addr, next, d.mdevice, this.selectDevice(d.mdevice), src, dst);
      const ret = migrateVmaSetup(ctx, m);
      if (ret) return ret;
      this.faultAllocAndCopy(d, m);
      migrateVmaPages(ctx, m);
      for (let k = 0; k < m.npages; k++) {
        const f = migratePfnFlags(m.src[k]!);
        if (f & MIGRATE_PFN_VALID && f & MIGRATE_PFN_MIGRATE) c.cpages++;
      }
      migrateVmaFinalize(ctx, m);
      addr = next;
    }
    return 0;
  }

  /** dmirror_snapshot(): one byte per page, never faulting. */
  private snapshot(d: Dmirror, c: Cmd): number {
    const ctx = this.ctx;
    const end = c.addr + c.npages * 4096;
    const chunk = ctx.hmm.dmirrorFaultChunk * 4096;
    for (let a = c.addr; a < end; a += chunk) {
      const next = Math.min(end, a + chunk);
      const n = (next - a) / 4096;
      const notifier = mmuIntervalNotifierInsert(d.mm, a, next - a, {
        invalidate: (sub, _r, cur) => {
          mmuIntervalSetSeq(sub, cur);
          return true;
        },
      });
      const range = {
        notifier,
        notifierSeq: 0,
        start: a,
        end: next,
        pfns: new Float64Array(n),
        flags: new Uint8Array(n),
        defaultFlags: 0,
        devPrivateOwner: d.mdevice,
      };
      const perm = new Uint8Array(n);
      const ret = this.rangeFault(d, range, (r) => {
        for (let k = 0; k < n; k++) perm[k] = this.mkentry(d, r.pfns[k]!, r.flags[k]!);
        return 0;
      });
      mmuIntervalNotifierRemove(notifier);
      if (ret) return ret;
      if (!copyToUser(ctx, d.mm, c.ptr + (a - c.addr) / 4096, perm)) return -EFAULT;
      c.cpages += n;
    }
    return 0;
  }

  /** dmirror_mkentry(). */
  private mkentry(d: Dmirror, pfn: number, f: number): number {
    if (f & HMM_PFN_ERROR) return U.HMM_DMIRROR_PROT_ERROR;
    if (!(f & HMM_PFN_VALID)) return U.HMM_DMIRROR_PROT_NONE;
    const ctx = this.ctx;
    const pgmap = ctx.pgmapOf(pfn);
    let perm = 0;
    if (pgmap?.type === 'private')
      perm =
        pgmap.owner === d.mdevice
          ? U.HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL
          : U.HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE;
    else if (pgmap?.type === 'coherent')
      perm =
        pgmap.owner === d.mdevice
          ? U.HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL
          : U.HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE;
    else if (ctx.isZeroPfn(pfn)) perm = U.HMM_DMIRROR_PROT_ZERO;
    perm |= f & HMM_PFN_WRITE ? U.HMM_DMIRROR_PROT_WRITE : U.HMM_DMIRROR_PROT_READ;
    const order = hmmPfnOrder(f);
    if (order === 9) perm |= U.HMM_DMIRROR_PROT_PMD;
    else if (order === 18) perm |= U.HMM_DMIRROR_PROT_PUD;
    return perm;
  }

  /** dmirror_exclusive(). */
  private exclusive(d: Dmirror, c: Cmd): number {
    const ctx = this.ctx;
    const end = c.addr + c.npages * 4096;
    const chunk = 64 * 4096;
    for (let a = c.addr; a < end; a += chunk) {
      const next = Math.min(end, a + chunk);
      const pages = makeDeviceExclusiveRange(ctx, d.mm, a, next, null);
      if (typeof pages === 'number') return pages;
      let mapped = 0;
      if (pages.length === (next - a) / 4096) {
        for (let k = 0; k < pages.length; k++) d.pt.set(a / 4096 + k, pages[k]! * 4 + DPT_XA_TAG_ATOMIC);
        mapped = pages.length;
      }
      for (const p of pages) {
        ctx.unlockPage(p);
        ctx.putPage(p);
      }
      if (a + mapped * 4096 < next) return -EBUSY;
    }
    const bounce = new Uint8Array(c.npages * 4096);
    const ret = this.doRead(d, c, c.addr, bounce);
    if (ret) return ret;
    return copyToUser(ctx, d.mm, c.ptr, bounce) ? 0 : -EFAULT;
  }

  /** dmirror_check_atomic(). */
  private checkExclusive(d: Dmirror, c: Cmd): number {
    for (let p = c.addr / 4096; p < c.addr / 4096 + c.npages; p++) {
      const e = d.pt.get(p);
      if (e >= 0 && (e & 3) === DPT_XA_TAG_ATOMIC) return -EPERM;
    }
    return 0;
  }

  /** dmirror_device_remove_chunks() (HMM_DMIRROR_RELEASE): evict every page, unmap the chunks. */
  removeChunks(dev: DmirrorDevice): void {
    const ctx = this.ctx;
    for (const chunk of dev.chunks) {
      chunk.remove = true;
      this.evictChunk(chunk);
      memunmapPages(ctx, chunk.pagemap);
    }
    dev.chunks.length = 0;
    dev.freeHead = -1;
  }

  /** dmirror_device_evict_chunk(): migrate_device_range over the chunk, copy back to system pages. */
  evictChunk(chunk: Chunk): void {
    const ctx = this.ctx;
    const { startPfn, endPfn } = chunk.pagemap;
    const n = endPfn - startPfn;
    const src = new Float64Array(n);
    const dst = new Float64Array(n);
    migrateDeviceRange(ctx, src, startPfn, n);
    for (let k = 0; k < n; k++) {
      const s = src[k]!;
      if (!(migratePfnFlags(s) & MIGRATE_PFN_VALID) || !(migratePfnFlags(s) & MIGRATE_PFN_MIGRATE)) continue;
      const dpage = ctx.allocPages(0, false);
      ctx.lockPage(dpage);
      ctx.copyPage(dpage, this.backing(migratePfnToPage(s)));
      dst[k] = migratePfn(dpage);
    }
    migrateDevicePages(ctx, src, dst, n);
    migrateDeviceFinalize(ctx, src, dst, n);
  }
}

interface Cmd {
  addr: number;
  ptr: number;
  npages: number;
  cpages: number;
  faults: number;
}
