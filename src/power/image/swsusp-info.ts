/**
 * The image header page: struct swsusp_info (kernel/power/power.h) with the
 * x86-64 struct restore_data_record written over its `uts` field by
 * arch_hibernation_header_save() (arch/x86/power/hibernate_64.c, 6.x
 * hibernate.c). Stream page 0, written uncompressed as swap map entry 0.
 *
 * struct swsusp_info (x86-64, page aligned, 4096 bytes):
 *   0    struct new_utsname uts (390 B)  — overwritten by the arch record
 *   392  u32 version_code                — 0 on x86 (not filled)
 *   400  u64 num_physpages               — 3.10: max_pfn; 6.x: present pages
 *   408  int cpus                        — never set (0)
 *   416  u64 image_pages                 — nr_copy_pages
 *   424  u64 pages                       — copy + meta + 1
 *   432  u64 size                        — pages << 12
 *
 * struct restore_data_record at offset 0, by era (RESTORE_MAGIC tells which):
 *   3.10 upstream    0 jump_address, 8 cr3, 16 magic 0x0123456789abcdef            (24 B)
 *   4.7-4.9 / RHEL7  0 jump_address, 8 jump_address_phys, 16 cr3, 24 magic
 *                    0x123456789abcdef0                                              (32 B)
 *   4.10-5.12 md5    ... 24 magic 0x23456789abcdef01, 32 u8 e820_digest[16]          (48 B)
 *   5.13+ crc32      ... 24 magic 0x23456789abcdef02, 32 u64 e820_checksum (u32 value) (40 B)
 */
import { FormatError } from '../../errors.js';
import { MAX_SAFE, PAGE_SIZE, setU64n, u64n, view } from './page.js';

export type ArchEra = '3.10' | '4.7-4.9' | '4.10-md5' | '5.13-crc32';

export const RESTORE_MAGIC: Readonly<Record<ArchEra, bigint>> = {
  '3.10': 0x0123456789abcdefn,
  '4.7-4.9': 0x123456789abcdef0n,
  '4.10-md5': 0x23456789abcdef01n,
  '5.13-crc32': 0x23456789abcdef02n,
};

export const ARCH_ERA_LABEL: Readonly<Record<ArchEra, string>> = {
  '3.10': '3.10 upstream',
  '4.7-4.9': '4.7-4.9 / RHEL 7.9',
  '4.10-md5': '4.10-5.12 (e820 md5)',
  '5.13-crc32': '5.13+ (e820 crc32)',
};

export interface ArchHeader {
  /** null when the magic is none the kernel ever used. */
  era: ArchEra | null;
  magic: bigint;
  jumpAddress: bigint;
  /** Absent (null) in the 3.10 layout. */
  jumpAddressPhys: bigint | null;
  cr3: bigint;
  /** 4.10-5.12 only. */
  e820Digest: Uint8Array | null;
  /** 5.13+ only: zlib CRC-32 of e820_table_firmware. */
  e820Checksum: number | null;
}

export interface SwsuspInfo {
  arch: ArchHeader;
  versionCode: number;
  numPhyspages: number;
  cpus: number;
  imagePages: number;
  pages: number;
  size: number;
  /** pages - image_pages - 1 (load_header()). */
  nrMetaPages: number;
}

export const INFO_OFF = {
  versionCode: 392,
  numPhyspages: 400,
  cpus: 408,
  imagePages: 416,
  pages: 424,
  size: 432,
} as const;

export function decodeArchHeader(page: Uint8Array): ArchHeader {
  const dv = view(page);
  const m16 = dv.getBigUint64(16, true);
  if (m16 === RESTORE_MAGIC['3.10']) {
    return {
      era: '3.10',
      magic: m16,
      jumpAddress: dv.getBigUint64(0, true),
      jumpAddressPhys: null,
      cr3: dv.getBigUint64(8, true),
      e820Digest: null,
      e820Checksum: null,
    };
  }
  const magic = dv.getBigUint64(24, true);
  let era: ArchEra | null = null;
  for (const e of ['4.7-4.9', '4.10-md5', '5.13-crc32'] as const) if (RESTORE_MAGIC[e] === magic) era = e;
  return {
    era,
    magic,
    jumpAddress: dv.getBigUint64(0, true),
    jumpAddressPhys: dv.getBigUint64(8, true),
    cr3: dv.getBigUint64(16, true),
    e820Digest: era === '4.10-md5' ? page.slice(32, 48) : null,
    e820Checksum: era === '5.13-crc32' ? Number(dv.getBigUint64(32, true) & 0xffffffffn) : null,
  };
}

/**
 * Decode and check the header page. `base` is its byte offset on the device
 * (for error locations). Checks what load_header() relies on: the counters
 * fit, pages = image_pages + nr_meta_pages + 1 with at least
 * ceil(image_pages / 512) meta pages, and size = pages * 4096.
 */
export function decodeSwsuspInfo(page: Uint8Array, base = 0): SwsuspInfo {
  if (page.length < PAGE_SIZE) {
    throw new FormatError('INFO_TRUNCATED', `header page is ${page.length} bytes, expected ${PAGE_SIZE}`, {
      offset: base + page.length,
    });
  }
  const dv = view(page);
  const field = (name: keyof typeof INFO_OFF): number => {
    const v = u64n(dv, INFO_OFF[name]);
    if (Number.isNaN(v) || v > MAX_SAFE) {
      throw new FormatError('INFO_FIELD_INVALID', `swsusp_info.${name} does not fit in 2^53`, {
        offset: base + INFO_OFF[name],
      });
    }
    return v;
  };
  const imagePages = field('imagePages');
  const pages = field('pages');
  const size = field('size');
  const numPhyspages = field('numPhyspages');
  const minMeta = Math.ceil(imagePages / 512);
  if (pages < imagePages + minMeta + 1) {
    throw new FormatError(
      'INFO_PAGES_INVALID',
      `swsusp_info.pages is ${pages}, expected at least image_pages ${imagePages} + ${minMeta} meta pages + 1`,
      { offset: base + INFO_OFF.pages },
    );
  }
  if (size !== pages * PAGE_SIZE) {
    throw new FormatError(
      'INFO_SIZE_INVALID',
      `swsusp_info.size is ${size}, expected pages*4096 = ${pages * PAGE_SIZE}`,
      {
        offset: base + INFO_OFF.size,
      },
    );
  }
  return {
    arch: decodeArchHeader(page),
    versionCode: dv.getUint32(INFO_OFF.versionCode, true),
    numPhyspages,
    cpus: dv.getInt32(INFO_OFF.cpus, true),
    imagePages,
    pages,
    size,
    nrMetaPages: pages - imagePages - 1,
  };
}

export interface ArchHeaderInput {
  era: ArchEra;
  jumpAddress: bigint;
  jumpAddressPhys?: bigint;
  cr3: bigint;
  e820Digest?: Uint8Array;
  e820Checksum?: number;
}

/**
 * init_header() + arch_hibernation_header_save(): a zeroed page with the arch
 * record at 0, version_code and cpus left 0, the counters filled in.
 */
export function encodeSwsuspInfo(
  arch: ArchHeaderInput,
  counts: { numPhyspages: number; imagePages: number; nrMetaPages: number },
): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = view(page);
  dv.setBigUint64(0, BigInt.asUintN(64, arch.jumpAddress), true);
  if (arch.era === '3.10') {
    dv.setBigUint64(8, BigInt.asUintN(64, arch.cr3), true);
    dv.setBigUint64(16, RESTORE_MAGIC['3.10'], true);
  } else {
    dv.setBigUint64(8, BigInt.asUintN(64, arch.jumpAddressPhys ?? 0n), true);
    dv.setBigUint64(16, BigInt.asUintN(64, arch.cr3), true);
    dv.setBigUint64(24, RESTORE_MAGIC[arch.era], true);
    if (arch.era === '4.10-md5' && arch.e820Digest) page.set(arch.e820Digest.subarray(0, 16), 32);
    if (arch.era === '5.13-crc32') dv.setBigUint64(32, BigInt((arch.e820Checksum ?? 0) >>> 0), true);
  }
  const pages = counts.imagePages + counts.nrMetaPages + 1;
  setU64n(dv, INFO_OFF.numPhyspages, counts.numPhyspages);
  setU64n(dv, INFO_OFF.imagePages, counts.imagePages);
  setU64n(dv, INFO_OFF.pages, pages);
  setU64n(dv, INFO_OFF.size, pages * PAGE_SIZE);
  return page;
}
