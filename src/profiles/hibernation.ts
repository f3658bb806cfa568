/**
 * The hibernation half of a kernel profile: where kernel/power/ and
 * arch/x86/power/ differ between the supported kernels. Each field names
 * the function whose behaviour it selects.
 * The on-disk layout choices (swsusp_header, restore_data_record) are in
 * KernelProfile.swsuspImage.
 */
/** Which struct memory_bitmap layout kernel/power/snapshot.c uses: 3.10's bm_block list or 4.x+'s radix tree. */
export type BitmapKind = 'bm-block-list' | 'rtree';

export interface HibernationMessages {
  /** printk prefix of snapshot.c / hibernate.c lines ("PM: " or "PM: hibernation: "). */
  readonly hibernatePrefix: string;
  readonly imageMismatch: string;
  readonly failedToLoad: string;
  readonly restoredSuccessfully: string;
  /** Printed before preallocation (null: 3.10 prints start and result on one line). */
  readonly preallocStart: string | null;
  readonly preallocDone: string;
  readonly creatingImage: string;
  readonly needToCopy: string;
  readonly normalPagesNeeded: string;
  readonly imageCreated: string;
  readonly errorResuming: string;
  readonly imageLoaded: string;
  readonly resumeFailed: string | null;
  readonly bitmapsFreed: string;
  /** Lines around freeze_processes() / freeze_kernel_threads() (%s = elapsed seconds). */
  readonly freezeUser: readonly string[];
  readonly freezeRest: readonly string[];
  /** hibernate() entry lines. */
  readonly hibernationEntry: readonly string[];
  /** resume_store() before software_resume() (3.10 "Starting manual resume from disk"). */
  readonly resumeManual: string | null;
  /** Printed after swsusp_check() found the signature (6.x load_image_and_restore()). */
  readonly afterSignature: readonly string[];
  readonly preparingRestore: string;
  readonly signatureFound: string;
  readonly writingImage: string | null;
  readonly loadingImage: string | null;
  /** Device PM, ACPI, OOM-killer and power-off lines around the snapshot (./hibernation.ts PmLines). */
  readonly pm: PmLines;
}

/**
 * What hibernate()/software_resume() print besides kernel/power's own lines:
 * dpm_show_time() of each device-PM phase (drivers/base/power/main.c), the
 * ACPI platform hooks (drivers/acpi/sleep.c), oom_killer_disable()/enable()
 * (mm/oom_kill.c), power_down() (kernel/power/hibernate.c → kernel/reboot.c).
 * Phase lines are printed verbatim; their msecs are the fixture consoles'.
 */
export interface PmLines {
  /** dpm_suspend*(PMSG_FREEZE) before create_image(). */
  readonly freeze: readonly string[];
  /** dpm_resume*(PMSG_THAW) after create_image() (the hibernating kernel goes on to write). */
  readonly thaw: readonly string[];
  /** dpm_suspend*(PMSG_QUIESCE): the boot kernel before the jump (hibernation_restore()). */
  readonly quiesce: readonly string[];
  /** dpm_resume*(PMSG_RESTORE): the image kernel after the jump. */
  readonly restore: readonly string[];
  /** dpm_suspend*(PMSG_HIBERNATE): platform mode, hibernation_platform_enter(). */
  readonly hibernate: readonly string[];
  /** Prefix of drivers/acpi/sleep.c messages ("ACPI: PM: " in 6.x, "ACPI: " in 3.10). */
  readonly acpiPrefix: string;
  /** oom_killer_disable()/oom_killer_enable() lines (4.0+); null where they are silent. */
  readonly oomDisabled: string | null;
  readonly oomEnabled: string | null;
  /** hibernate() exit lines (6.x "hibernation exit"). */
  readonly hibernationExit: readonly string[];
  /** kernel_power_off(). */
  readonly powerDown: string;
  /**
   * "Marking nosave pages", "Basic memory bitmaps created/freed", "Image signature
   * found, resuming": 'always' = printk()s (3.10); 'dynamic-debug' = pr_debug() in
   * swap.c/snapshot.c (6.x), printed by default on a CONFIG_DYNAMIC_DEBUG build
   * (KernelBuild.dynamicDebug), compiled out otherwise. pm_debug_messages does not gate them.
   */
  readonly debugLines: 'always' | 'dynamic-debug';
  /**
   * syscore_suspend() (drivers/base/syscore.c) first line, a pm_pr_dbg() in 6.x
   * ("Checking wakeup interrupts"); null where it is pr_debug() (3.10: never printed
   * without dynamic debug). Each op then prints "Calling %pS" (KernelBuild.syscoreOps).
   */
  readonly syscoreCheck: string | null;
}

/** A text symbol of the model kernel: offset from _text and size (for oops lines "func+0xoff/0xsize"). */
export interface TextSymbol {
  readonly offset: number;
  readonly size: number;
}

/** How this kernel reports a fatal fault (arch/x86/mm/fault.c, arch/x86/kernel/dumpstack.c). */
export interface OopsProfile {
  /** '3.10': "BUG: unable to handle kernel paging request at …" + IP line; '6.x': "BUG: unable to handle page fault for address:" + #PF lines. */
  readonly style: '3.10' | '6.x';
  /** uname -r printed in the CPU: line. */
  readonly release: string;
  readonly hardware: string;
  /** Model text layout: symbol → offset from _text. The 3.10 offsets reproduce the seed-000 crash addresses. */
  readonly symbols: Readonly<Record<string, TextSymbol>>;
  /** The compressed and uncompressed loaders (swap.c). */
  readonly loader: { readonly compressed: string; readonly nocompress: string };
  /** Offset of the faulting copy instruction inside the loader (rep movsq in the inlined memcpy). */
  readonly copyInsnOffset: number;
  /**
   * Model text layout for faults no real oops shows: the memset of a zero page
   * inside snapshot_write_next() (6.6+), and the return sites of the loaders'
   * calls to snapshot_write_next() (the frame above it in the call trace).
   */
  readonly zeroFillInsnOffset: number;
  readonly writeNextReturn: { readonly compressed: number; readonly nocompress: number };
  /**
   * The loader's frame on the resuming task's 16 KiB kernel stack (THREAD_SIZE),
   * as offsets from the stack's base: RSP and RBP at the faulting copy, and R13 =
   * &snapshot (struct snapshot_handle, a local of swsusp_read()).
   */
  readonly loaderFrame: { readonly rsp: number; readonly rbp: number; readonly snapshotHandle: number };
  /** R9, R10 and RFLAGS at the loader's copy (left there by code the model does not run). */
  readonly loaderRegs: { readonly r9: bigint; readonly r10: bigint; readonly rflags: bigint };
  /**
   * The compressed loader's buffers (kernel/power/swap.c): vmalloc'd page[] of
   * `maxReadPages` pointers (LZO_MAX_RD_PAGES / CMP_MAX_RD_PAGES), then
   * data = vmalloc(nr_threads * sizeof(struct dec_data)); `decUncOffset` is
   * offsetof(struct dec_data, unc).
   */
  readonly maxReadPages: number;
  readonly decUncOffset: number;
  /** Bytes of the vmalloc area in use when the resume boot's loader runs (modules, drivers, initramfs). */
  readonly resumeVmallocInUse: number;
  /** Frames above the loader, innermost first: "func+0xoff" return sites, by resume trigger. */
  readonly callTrace: { readonly sysfs: readonly string[]; readonly initcall: readonly string[] };
  /** Where copy_data_pages()' copy faults (safe_copy_page inlined) and the frames above it (echo disk > /sys/power/state). */
  readonly saveFault: string;
  readonly saveTrace: readonly string[];
}

export interface HibernationProfile {
  readonly oops: OopsProfile;
  /** memory_bitmap implementation (bm_block list ≤3.16, rtree 3.17+). */
  readonly bitmap: BitmapKind;
  /** arch_hibernation_header_restore() compares an e820 CRC32 (5.13+). */
  readonly e820Check: boolean;
  /**
   * check_header()'s "memory size" comparison: 3.10 x86-64 num_physpages = max_pfn;
   * later get_num_physpages() = present pages.
   */
  readonly numPhyspages: 'max_pfn' | 'present_pages';
  /** 6.6+: all-zero pages are flagged in the pfn list and not stored. */
  readonly zeroPages: boolean;
  /** Compressors the kernel can use (6.9+: lz4). */
  readonly compressors: readonly ('lzo' | 'lz4')[];
  /** SF_HW_SIG / swsusp_header.hw_sig (5.17+). */
  readonly hwSig: boolean;
  /** saveable_page(): PageOffline pages skipped (RHEL 7 backport, 6.x). */
  readonly skipOffline: boolean;
  /** kernel_page_present(): 'always' (3.10 without DEBUG_PAGEALLOC) or a real page-table walk (6.x). */
  readonly kernelPagePresent: 'always' | 'walk';
  /** mark_unsafe_pages(): '3.10' walks zones and can fail with -EFAULT; '4.8' duplicates the bitmap. */
  readonly markUnsafePages: '3.10' | '4.8';
  /** unpack_orig_pfns() requires pfn_valid (4.8+) and prints the FW_BUG line (6.2+). */
  readonly unpackRequiresPfnValid: boolean;
  readonly unpackFwBugMessage: boolean;
  /** 4.8+: reserved PBE pages kept on safe_pages_list; memory_bm_recycle() after load. */
  readonly safePageRecycling: boolean;
  /** set_up_temporary_mappings(): 3.10 re-uses the boot kernel's text mapping; 4.7+ builds a text mapping. */
  readonly tempTextMapping: boolean;
  /** Log strings (kernel/power/swap.c, snapshot.c, hibernate.c). */
  readonly messages: HibernationMessages;
}
