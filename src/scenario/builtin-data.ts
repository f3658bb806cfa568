/**
 * GENERATED from data/ by test/scenario/builtin-data-gen.ts — do not edit.
 * Regenerate: UPDATE_BUILTINS=1 npx vitest run test/scenario/builtin-data.test.ts
 * Keys are paths under data/; values are the files, verbatim.
 */
export const BUILTIN_FILES: Readonly<Record<string, string>> = {
  'e820/qemu-pc-384m.txt': `# QEMU 7.2 -machine pc -m 384 (SeaBIOS), Debian 6.12.117 stock kernel: the boot that wrote the
# image, from hiblab fixtures kernel-images/runs/612-lzo/console-hibernate.log (lines 1-10, 19-20;
# serial-console CRLF line ends turned into LF).
[    0.000000] Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2026-11-14)
[    0.000000] Command line: console=ttyS0,115200 ignore_loglevel no_console_suspend pm_debug_messages panic=-1 resume=/dev/vda nokaslr hiblab.mode=hibernate hiblab.mib=64
[    0.000000] BIOS-provided physical RAM map:
[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved
[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x0000000017fd9fff] usable
[    0.000000] BIOS-e820: [mem 0x0000000017fda000-0x0000000017ffffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved
[    0.000000] BIOS-e820: [mem 0x000000fd00000000-0x000000ffffffffff] reserved
[    0.007491] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved
[    0.007663] e820: remove [mem 0x000a0000-0x000fffff] usable
`,
  'e820/qemu-pc-512m.txt': `# QEMU 7.2 -machine pc -m 512 (SeaBIOS), same kernel: the resume boot that refused the image
# ("Hibernate inconsistent memory map detected!"), from hiblab fixtures
# kernel-images/runs/612-lzo/console-resume-mem512.log (lines 1-10, 19-20;
# serial-console CRLF line ends turned into LF).
[    0.000000] Linux version 6.12.117+deb12-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.12.117-1~deb12u1 (2026-11-14)
[    0.000000] Command line: console=ttyS0,115200 ignore_loglevel no_console_suspend pm_debug_messages panic=-1 resume=/dev/vda nokaslr hiblab.mode=resume
[    0.000000] BIOS-provided physical RAM map:
[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable
[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved
[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000001ffd9fff] usable
[    0.000000] BIOS-e820: [mem 0x000000001ffda000-0x000000001fffffff] reserved
[    0.000000] BIOS-e820: [mem 0x00000000fffc0000-0x00000000ffffffff] reserved
[    0.000000] BIOS-e820: [mem 0x000000fd00000000-0x000000ffffffffff] reserved
[    0.007606] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved
[    0.007777] e820: remove [mem 0x000a0000-0x000fffff] usable
`,
  'e820/seed-000-resume.txt': `# seed 000: the "reserve setup_data" table (e820 after e820_reserve_setup_data()) of the
# boot that resumed and crashed, copied verbatim from hiblab shared seeds
# 000_3abfce8d8115b358.txt (lines 614-640). Its firmware table is rebuilt from these lines.
[    0.000000] reserve setup_data: [mem 0x0000000000000000-0x000000000009ffff] usable
[    0.000000] reserve setup_data: [mem 0x0000000000100000-0x00000000007fffff] usable
[    0.000000] reserve setup_data: [mem 0x0000000000800000-0x0000000000807fff] ACPI NVS
[    0.000000] reserve setup_data: [mem 0x0000000000808000-0x000000000080afff] usable
[    0.000000] reserve setup_data: [mem 0x000000000080b000-0x000000000080bfff] ACPI NVS
[    0.000000] reserve setup_data: [mem 0x000000000080c000-0x000000000080ffff] usable
[    0.000000] reserve setup_data: [mem 0x0000000000810000-0x00000000008fffff] ACPI NVS
[    0.000000] reserve setup_data: [mem 0x0000000000900000-0x00000000bd85d017] usable
[    0.000000] reserve setup_data: [mem 0x00000000bd85d018-0x00000000bd866a57] usable
[    0.000000] reserve setup_data: [mem 0x00000000bd866a58-0x00000000be141fff] usable
[    0.000000] reserve setup_data: [mem 0x00000000be142000-0x00000000be142fff] ACPI data
[    0.000000] reserve setup_data: [mem 0x00000000be143000-0x00000000be1e7fff] usable
[    0.000000] reserve setup_data: [mem 0x00000000be1e8000-0x00000000be1e8fff] ACPI data
[    0.000000] reserve setup_data: [mem 0x00000000be1e9000-0x00000000be674fff] usable
[    0.000000] reserve setup_data: [mem 0x00000000be675000-0x00000000be6bdfff] reserved
[    0.000000] reserve setup_data: [mem 0x00000000be6be000-0x00000000beb89fff] usable
[    0.000000] reserve setup_data: [mem 0x00000000beb8a000-0x00000000bebcafff] reserved
[    0.000000] reserve setup_data: [mem 0x00000000bebcb000-0x00000000bf0ecfff] usable
[    0.000000] reserve setup_data: [mem 0x00000000bf0ed000-0x00000000bf36cfff] reserved
[    0.000000] reserve setup_data: [mem 0x00000000bf36d000-0x00000000bf37efff] ACPI data
[    0.000000] reserve setup_data: [mem 0x00000000bf37f000-0x00000000bf3fefff] ACPI NVS
[    0.000000] reserve setup_data: [mem 0x00000000bf3ff000-0x00000000bfafbfff] usable
[    0.000000] reserve setup_data: [mem 0x00000000bfafc000-0x00000000bfb7ffff] reserved
[    0.000000] reserve setup_data: [mem 0x00000000bfb80000-0x00000000bfffffff] ACPI NVS
[    0.000000] reserve setup_data: [mem 0x00000000feffc000-0x00000000feffffff] reserved
[    0.000000] reserve setup_data: [mem 0x00000000ffc00000-0x00000000ffffffff] reserved
[    0.000000] reserve setup_data: [mem 0x0000000100000000-0x000000013fffffff] usable
`,
  'e820/seed-000-suspend.txt': `# seed 000 (RHEL 7.9 3.10.0-1160.el7 VM, resume crash in load_image_lzo): the journal's BIOS-e820
# table of the boot that wrote the hibernation image, copied verbatim from
# hiblab shared seeds 000_3abfce8d8115b358.txt (lines 689-713). Only e820 data is kept.
20250902-instance kernel: BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x0000000000100000-0x00000000007fffff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x0000000000800000-0x0000000000807fff] ACPI NVS
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x0000000000808000-0x000000000080afff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x000000000080b000-0x000000000080bfff] ACPI NVS
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x000000000080c000-0x000000000080ffff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x0000000000810000-0x00000000008fffff] ACPI NVS
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x0000000000900000-0x00000000be128fff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000be129000-0x00000000be129fff] ACPI data
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000be12a000-0x00000000be1e7fff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000be1e8000-0x00000000be1e8fff] ACPI data
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000be1e9000-0x00000000be674fff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000be675000-0x00000000be6bdfff] reserved
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000be6be000-0x00000000beb89fff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000beb8a000-0x00000000bebcafff] reserved
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bebcb000-0x00000000bf0ecfff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bf0ed000-0x00000000bf36cfff] reserved
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bf36d000-0x00000000bf37efff] ACPI data
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bf37f000-0x00000000bf3fefff] ACPI NVS
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bf3ff000-0x00000000bfafbfff] usable
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bfafc000-0x00000000bfb7ffff] reserved
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000bfb80000-0x00000000bfffffff] ACPI NVS
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff] reserved
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x00000000ffc00000-0x00000000ffffffff] reserved
Sep 17 16:16:05 20250902-instance kernel: BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] usable
`,
  'scenarios/hmm-hibernate-evict.yaml': `# Device memory across hibernation, with eviction: the same story as hmm-hibernate-lost, but the
# driver's freeze callback (\`freeze: evict\`; a model addition — upstream test_hmm has no
# dev_pm_ops) migrates every device page back to system RAM before the image is made
# (migrate_device_range + migrate_device_pages/finalize over each chunk, as
# dmirror_device_evict_chunk does). The process's PTEs are ordinary present PTEs again, the
# pages are saved in the image and restored, and the read after resume sees what was written.
name: hmm-hibernate-evict
description: device-private data evicted to RAM at freeze is saved in the image and read back intact after resume
seed: 13
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr resume=/dev/vda
resume:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr resume=/dev/vda
hmm:
  driver: { deviceMemory: device, freeze: evict }
  processes:
    - name: gpu_app
      mappings: [ { name: buf, size: 256K } ]
  steps:
    - { write: buf, pattern: index }
    - { migrate: buf, to: device, device: 0 }
    - { pagemap: buf }
    - hibernate: {}
    - { pagemap: buf }
    - { read: buf }
expect:
  outcome: resumed
`,
  'scenarios/hmm-hibernate-lost.yaml': `# Device memory across hibernation, without eviction. A process's 64 pages are migrated to a
# device-private device whose data lives in the device's own memory (\`deviceMemory: device\`, a
# real GPU's VRAM; upstream test_hmm backs each device page with a system page instead). The
# snapshot walks the populated zones and saveable_page() rejects every pfn that
# pfn_to_online_page() does not return (kernel/power/snapshot.c): ZONE_DEVICE is neither, so the
# device's memory is not in the image. What is saved is RAM: the user page table with its
# device-private swap entries, the struct pages and the driver's state. test_hmm has no
# dev_pm_ops (\`freeze: none\`), so nothing moves the data to RAM at freeze; S4 powers the device
# off. After resume the PTE is still the device-private entry (pagemap: swap bit, no present
# bit, frame 0), the CPU read runs dmirror_devmem_fault, which succeeds and copies what the
# device memory holds now: zeros. No SIGBUS — the data is silently lost.
name: hmm-hibernate-lost
description: device-private data not evicted at freeze is not in the image; after resume the CPU reads zeros
seed: 13
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr resume=/dev/vda
resume:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr resume=/dev/vda
hmm:
  driver: { deviceMemory: device, freeze: none }
  processes:
    - name: gpu_app
      mappings: [ { name: buf, size: 256K } ]
  steps:
    - { write: buf, pattern: index }
    - { migrate: buf, to: device, device: 0 }
    - { pagemap: buf }
    - hibernate: {}
    - { pagemap: buf }
    - { read: buf }
    - { pagemap: buf }
expect:
  outcome: data-lost
`,
  'scenarios/qemu-384m-to-512m.yaml': `# Real fixture run 612-lzo: an image written by Debian's 6.12.117 kernel in QEMU -m 384 -M pc,
# resumed with -m 512. The kernel printed "Hibernate inconsistent memory map detected!"
# (e820 CRC32 0xa5445455 stored, 0x7e8c3bd0 at resume) and went on with a fresh boot.
name: qemu-384m-to-512m
description: QEMU fixture, image written with -m 384 and resumed with -m 512, refused
seed: 612
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: console=ttyS0,115200 ignore_loglevel no_console_suspend pm_debug_messages panic=-1 resume=/dev/vda nokaslr hiblab.mode=hibernate hiblab.mib=64
  workload:
    # "PM: hibernation: Need to copy 33463 pages" (30595 copied + 2868 zero).
    targetCopyPages: 33463
    groups:
      # hogmem: 64 MiB of mlocked anonymous pages holding the fixtures' test pattern.
      - { kind: anon, name: hogmem, size: 64M, contents: { pattern: 1 } }
      # Contents calibrated on the real 612-lzo image (src/workload/calibration.ts).
      - { kind: slab, size: 4M, contents: { pagecache: 1 } }
      - { kind: pagecache, size: 4M, contents: { pagecache: 1 } }
      - { kind: kernel, fill: true, contents: { pagecache: 1 } }
resume:
  e820: { file: "data:e820/qemu-pc-512m.txt" }
  cmdline: console=ttyS0,115200 ignore_loglevel no_console_suspend pm_debug_messages panic=-1 resume=/dev/vda nokaslr hiblab.mode=resume
  workload:
    groups:
      - { kind: pagecache, size: 8M }
      - { kind: slab, size: 4M }
  # virtio_blk is a module in the stock kernel: the initramfs /init writes /sys/power/resume.
  resumeTrigger: { via: sysfs, process: init }
hibernate:
  compressor: lzo
  cpus: 1
expect:
  outcome: refused
  contains:
    - Hibernate inconsistent memory map detected!
    - "PM: hibernation: Image mismatch: architecture specific data"
`,
  'scenarios/same-map.yaml': `# Control: seed 000's hibernating machine resumes on the very same firmware map
# (new KASLR bases, a different boot kernel): the image must restore intact.
# The engine runs this scenario on both profiles.
name: same-map
description: control run, the same firmware e820 map for both boots, must resume
seed: 7
profile: linux-3.10
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  workload:
    groups:
      - { kind: kernel, size: 48M }
      - { kind: slab, size: 64M }
      - { kind: pagecache, size: 256M }
      - { kind: anon, size: 512M }
resume:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  cmdline: resume=/dev/mapper/rhel-swap
  workload:
    groups:
      - { kind: pagecache, size: 24M }
      - { kind: slab, size: 12M }
      - { kind: anon, size: 4M }
  resumeTrigger: { via: sysfs, process: dracut-pre-moun }
expect:
  outcome: resumed
`,
  'scenarios/seed-000-6.12.yaml': `# Seed 000's two firmware maps on linux-6.12: since 5.13 the image carries the CRC32 of the
# firmware e820 table and the resume kernel refuses an image whose map differs.
name: seed-000-6.12
description: seed 000's changed e820 map on linux-6.12, refused by the e820 CRC32 check
seed: 0x3abfce8d
profile: linux-6.12
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  kaslr: { seed: 0x8115b358 }
  workload:
    targetCopyPages: 229023
    groups:
      - { kind: kernel, size: 48M }
      - { kind: slab, size: 96M }
      - { kind: pagecache, size: 256M }
      - { kind: anon, fill: true }
resume:
  e820: { file: "data:e820/seed-000-resume.txt" }
  cmdline: resume=/dev/mapper/rhel-swap
  workload:
    groups:
      - { kind: pagecache, size: 24M }
      - { kind: slab, size: 12M }
      - { kind: anon, size: 4M }
  resumeTrigger: { via: sysfs, process: dracut-pre-moun }
hibernate:
  compressor: lzo
expect:
  outcome: refused
  contains:
    - Hibernate inconsistent memory map detected!
`,
  'scenarios/seed-000.yaml': `# Seed 000: RHEL 7.9 (3.10.0-1160.el7) VM whose firmware moved an "ACPI data" page between
# the hibernating boot and the resume boot. The resume kernel unmaps that page (pfn 0xbe142) from
# its direct map, the image still holds data for it, and load_image_lzo() faults writing it:
# "BUG: unable to handle kernel paging request" at 60% of the image load.
name: seed-000
description: RHEL 7.9 resume crash in load_image_lzo after an ACPI data page moved (seed 000)
seed: 0x3abfce8d
profile: linux-3.10
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  # The image kernel's KASLR bases are not in the seed: draw them.
  kaslr: { seed: 0x8115b358 }
  workload:
    # crash> p nr_copy_pages = 229023, nr_meta_pages = 448 (seed 000).
    targetCopyPages: 229023
    groups:
      # The frames around the page that later turns into ACPI data were in use: pfn 0xbe142
      # is in the image (crash> kmem -p shows its neighbours as anon pages).
      - { kind: anon, name: anon-near-acpi, frames: ["0xbe100-0xbe1e7"] }
      - { kind: kernel, size: 48M }
      - { kind: slab, size: 96M }
      - { kind: pagecache, size: 256M, zone: DMA32 }
      - { kind: anon, name: anon-low, pages: 41493, zone: DMA32 }
      - { kind: anon, fill: true, zone: Normal }
resume:
  e820: { file: "data:e820/seed-000-resume.txt" }
  # The seed does not show the command line; a typical RHEL 7 LVM install.
  cmdline: resume=/dev/mapper/rhel-swap
  # From the crash dump of the resume boot. vmallocBase is inferred from the vmalloc'd
  # load_image_lzo buffers (0xffffb3f1c09fc000…) in the oops registers.
  kaslr:
    pageOffsetBase: "0xffff926340000000"
    vmemmapBase: "0xffffe30300000000"
    vmallocBase: "0xffffb3f1c0000000"
  # dracut's initramfs: unpacked rootfs in page cache, its own slab and processes.
  workload:
    groups:
      - { kind: pagecache, size: 24M }
      - { kind: slab, size: 12M }
      - { kind: anon, size: 4M }
  # PID 318 "dracut-pre-moun" (comm keeps 15 characters) wrote /sys/power/resume (crash> bt).
  resumeTrigger: { via: sysfs, process: dracut-pre-moun, pid: 318 }
hibernate:
  compressor: lzo
expect:
  outcome: oops
  contains:
    - "BUG: unable to handle kernel paging request"
    - load_image_lzo
`,
  'scenarios/seed-001-fixmap.yaml': `# Seed 001 with the fix: the page is copied through a fixmap PTE instead of the direct map,
# so no CPA split is needed and hibernation succeeds.
name: seed-001-fixmap
description: seed 001 with the fixmap save patch, hibernation and resume succeed
seed: 1
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: resume=/dev/vda nokaslr
  workload:
    groups:
      - { kind: anon, size: 64M, placement: compact }
      - { kind: slab, size: 8M }
      - { kind: pagecache, size: 16M }
resume:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: resume=/dev/vda nokaslr
faults:
  unmapPagesAtSave:
    - { pfn: 0x8234, huge: true }
  cpaSplitFails: true
  fixmapSave: true
expect:
  outcome: resumed
`,
  'scenarios/seed-001.yaml': `# Seed 001 (Rick Edgecombe, "x86/hibernate: Use fixmap for saving unmapped pages", 2023):
# a page is not present in the direct map as part of a 2 MiB not-present mapping. Saving it
# needs CPA to split the large mapping; the split's page-table allocation fails, hibernate
# warns and then reads through the not-present mapping: an oops while saving.
name: seed-001
description: saving a page inside a 2 MiB not-present direct-map mapping when the CPA split fails
seed: 1
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: resume=/dev/vda nokaslr
  workload:
    groups:
      - { kind: anon, size: 64M, placement: compact }
      - { kind: slab, size: 8M }
      - { kind: pagecache, size: 16M }
resume:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: resume=/dev/vda nokaslr
faults:
  # pfn 0x8234 lies in the 2 MiB block 0x8200-0x83ff, mapped not-present by one PMD.
  unmapPagesAtSave:
    - { pfn: 0x8234, huge: true }
  cpaSplitFails: true
expect:
  outcome: hibernate-failed
`,
  'scenarios/seed-002-owner-fixed.yaml': `# Seed 002's fix ("set both migrations' pgmap_owner to the same value"): dmirror_devmem_fault
# selects the device-private pages of the owner the pages were created with, so the CPU load
# migrates the page back to system RAM and reads what mmap_test wrote.
name: seed-002-owner-fixed
description: seed 002 fixed, the same pgmap_owner in both directions; the CPU read brings the data back to RAM
seed: 2
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr
hmm:
  driver: { faultOwner: device, migrateOwner: device }
  processes:
    - name: mmap_test
      mappings: [ { name: ptr, size: 4096 } ]
  steps:
    - { write: ptr, u32: 0x66616365 }
    - { migrate: ptr, to: device, device: 0 }
    - { pagemap: ptr }
    - { read: ptr }
    - { pagemap: ptr }
expect:
  outcome: completed
`,
  'scenarios/seed-002-owner-mismatch.yaml': `# Seed 002's endless dmirror_devmem_fault calls: the page went to the device with the device as
# pgmap owner, but the module's migrate_to_ram handler (dmirror_devmem_fault) asks
# migrate_vma_setup for MIGRATE_VMA_SELECT_DEVICE_PRIVATE pages of another owner
# ("&dmirror_device"). migrate_vma_collect skips the entry, the handler returns 0, do_swap_page
# returns 0 and the CPU re-executes the load: it faults again, for ever (hmm-facts §2.10). The
# model stops after the livelock threshold and reports the fault trace the seed's dump_stack shows.
name: seed-002-owner-mismatch
description: seed 002, migrate_to_ram with another pgmap_owner than the device's never migrates; the CPU fault livelocks
seed: 2
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr
hmm:
  driver: { faultOwner: "&dmirror_device" }
  processes:
    - name: mmap_test
      mappings: [ { name: ptr, size: 4096 } ]
  steps:
    - { write: ptr, u32: 0x66616365 }
    - { migrate: ptr, to: device, device: 0 }
    - { pagemap: ptr }
    - { read: ptr }
expect:
  outcome: livelock
`,
  'scenarios/seed-002-pagemap.yaml': `# Seed 002 (../shared/seeds/002_*.txt): mmap_test writes 0x66616365 into an anonymous page, the
# test module (built on lib/test_hmm.c, "dmirror") migrates it to device memory, and
# /proc/self/pagemap then says "Zero page frame number": the PTE now holds a device-private swap
# entry (fs/proc/task_mmu.c pte_to_pagemap_entry: PM_SWAP set, PM_PRESENT clear), and a reader
# without CAP_SYS_ADMIN sees frame 0. As root the frame is the swap type | device pfn << 5.
name: seed-002-pagemap
description: seed 002, a page migrated to dmirror device memory reads PFN 0 with the swap bit in pagemap
seed: 2
profile: linux-6.12
suspend:
  e820: { file: "data:e820/qemu-pc-384m.txt" }
  cmdline: nokaslr
hmm:
  processes:
    - name: mmap_test
      mappings: [ { name: ptr, size: 4096 } ]
  steps:
    - { write: ptr, u32: 0x66616365 }
    - { pagemap: ptr }
    - { migrate: ptr, to: device, device: 0 }
    - { pagemap: ptr }
expect:
  outcome: completed
`,
  'scenarios/seed-003-fixed.yaml': `# Seed 003 as the kernel does it since 2.6.14: set_up_temporary_mappings() builds the page
# tables for the final copy in safe pages, so the restore succeeds.
name: seed-003-fixed
description: seed 003 with temporary page tables in safe pages, resume succeeds
seed: 3
profile: linux-3.10
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  workload:
    groups:
      - { kind: kernel, size: 48M }
      - { kind: slab, size: 64M }
      - { kind: pagecache, size: 256M }
      - { kind: anon, size: 512M }
resume:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  cmdline: resume=/dev/mapper/rhel-swap
  resumeTrigger: { via: sysfs, process: dracut-pre-moun }
expect:
  outcome: resumed
`,
  'scenarios/seed-003.yaml': `# Seed 003 ("x86_64: Set up safe page tables during resume", 2.6.14): restoring the image
# overwrites the page tables the copy loop runs on when they sit in image page frames;
# without temporary page tables built from safe pages the copy faults and the machine hangs.
name: seed-003
description: restore without temporary page tables (pre-2.6.14), page tables overwritten, hang
seed: 3
profile: linux-3.10
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  workload:
    groups:
      - { kind: kernel, size: 48M }
      - { kind: slab, size: 64M }
      - { kind: pagecache, size: 256M }
      - { kind: anon, size: 512M }
resume:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  cmdline: resume=/dev/mapper/rhel-swap
  resumeTrigger: { via: sysfs, process: dracut-pre-moun }
faults:
  noTempPageTables: true
expect:
  outcome: oops
`,
  'scenarios/seed-004.yaml': `# Seed 004 ("swsusp: Use memory bitmaps during resume"): the boot kernel already uses some of
# the page frames the image wants. Those image pages are loaded into safe pages and listed as
# PBEs for the final atomic copy; the others go straight to their original frames.
name: seed-004
description: boot kernel occupies image page frames, data goes through PBEs, resume succeeds
seed: 4
profile: linux-3.10
suspend:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  workload:
    groups:
      - { kind: kernel, size: 48M }
      - { kind: slab, size: 64M }
      - { kind: pagecache, size: 512M }
      - { kind: anon, size: 1G }
resume:
  e820: { file: "data:e820/seed-000-suspend.txt" }
  cmdline: resume=/dev/mapper/rhel-swap
  # A fat initramfs: its page cache, slab and processes sit in frames the image also uses.
  workload:
    groups:
      - { kind: pagecache, size: 160M }
      - { kind: slab, size: 48M }
      - { kind: anon, size: 64M }
  resumeTrigger: { via: sysfs, process: dracut-pre-moun }
expect:
  outcome: resumed
`,
};
