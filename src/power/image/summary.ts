/**
 * A summary of an image for `hiblab image info`: every header field decoded,
 * the kernel format era and features, and the stream counts. JSON keys are
 * stable (documented on the CLI command).
 */

import { HiblabError } from '../../errors.js';
import { hex32 } from '../../util/hex.js';
import { UNC_PAGES } from '../compress/compressor.js';
import type { MkswapHeader } from './mkswap-header.js';
import { PAGE_SIZE } from './page.js';
import type { ImageReader } from './reader.js';
import { flagNames, SF } from './swsusp-header.js';
import { ARCH_ERA_LABEL } from './swsusp-info.js';

export interface ImageSummary {
  device: { size: number; pages: number };
  swapHeader: MkswapHeader;
  swsusp: {
    sig: string;
    origSig: string;
    image: number;
    flags: number;
    flagNames: string[];
    crc32: string;
    hwSig: string | null;
  };
  format: { archEra: string | null; label: string; features: string[]; compressor: string };
  swsuspInfo: {
    numPhyspages: number;
    imagePages: number;
    pages: number;
    size: number;
    nrMetaPages: number;
    versionCode: number;
    cpus: number;
  };
  arch: {
    magic: bigint;
    magicKnown: boolean;
    jumpAddress: bigint;
    jumpAddressPhys: bigint | null;
    cr3: bigint;
    e820Checksum: string | null;
    e820Digest: string | null;
  };
  stream: {
    metaPages: number;
    copyPages: number;
    zeroPages: number;
    pfns: number;
    minPfn: number | null;
    maxPfn: number | null;
    streamPages: number;
  };
  compression: {
    chunks: number;
    compressedBytes: number;
    uncompressedBytes: number;
    ratio: number;
    kbytesAfterCompression: number;
  } | null;
  swapMap: { mapPages: number; firstMapPages: number[]; entries: number };
}

export function summarizeImage(r: ImageReader): ImageSummary {
  const meta = r.metaList();
  const chunks = r.chunks();
  const cmp = chunks.reduce((a, c) => a + c.cmpLen, 0);
  const unc = r.streamPages * PAGE_SIZE;
  const arch = r.info.arch;
  const features: string[] = [];
  if (r.swsusp.flags & SF.HW_SIG) features.push('hw_sig (5.17+)');
  if (r.compressor === 'lz4') features.push('LZ4 (6.9+)');
  if (meta.zeroCount > 0) features.push('zero pages (6.6+)');
  const eraLabel = arch.era ? ARCH_ERA_LABEL[arch.era] : 'unknown arch header magic';
  return {
    device: { size: r.src.size, pages: Math.floor(r.src.size / PAGE_SIZE) },
    swapHeader: r.swapHeader,
    swsusp: {
      sig: r.swsusp.sig,
      origSig: r.swsusp.origSig,
      image: r.swsusp.image,
      flags: r.swsusp.flags,
      flagNames: flagNames(r.swsusp.flags),
      crc32: hex32(r.swsusp.crc32),
      hwSig: r.swsusp.hwSig === null ? null : hex32(r.swsusp.hwSig),
    },
    format: {
      archEra: arch.era,
      label: [eraLabel, ...features].join(', '),
      features,
      compressor: r.compressor ?? 'none',
    },
    swsuspInfo: {
      numPhyspages: r.info.numPhyspages,
      imagePages: r.info.imagePages,
      pages: r.info.pages,
      size: r.info.size,
      nrMetaPages: r.info.nrMetaPages,
      versionCode: r.info.versionCode,
      cpus: r.info.cpus,
    },
    arch: {
      magic: arch.magic,
      magicKnown: arch.era !== null,
      jumpAddress: arch.jumpAddress,
      jumpAddressPhys: arch.jumpAddressPhys,
      cr3: arch.cr3,
      e820Checksum: arch.e820Checksum === null ? null : hex32(arch.e820Checksum),
      e820Digest: arch.e820Digest
        ? Array.from(arch.e820Digest, (b) => b.toString(16).padStart(2, '0')).join('')
        : null,
    },
    stream: {
      metaPages: r.info.nrMetaPages,
      copyPages: meta.dataCount,
      zeroPages: meta.zeroCount,
      pfns: meta.count,
      minPfn: meta.count ? meta.firstPfn! : null,
      maxPfn: meta.count ? meta.lastPfn! : null,
      streamPages: r.streamPages,
    },
    compression: r.compressor
      ? {
          chunks: chunks.length,
          compressedBytes: cmp,
          uncompressedBytes: unc,
          ratio: cmp ? Math.round((unc / cmp) * 100) / 100 : 0,
          kbytesAfterCompression: Math.floor(cmp / 1024),
        }
      : null,
    swapMap: {
      mapPages: r.map.mapPages.length,
      firstMapPages: r.map.mapPages.slice(0, 4),
      entries: r.map.entries.length,
    },
  };
}

/** Chunks needed for n stream pages when every chunk but the last is full. */
export function expectedChunks(streamPages: number): number {
  return Math.ceil(streamPages / UNC_PAGES);
}

/**
 * What the run report says of the real image (the `hiblab image info`
 * numbers). The header page holds no kernel release on x86-64: the arch
 * record of arch_hibernation_header_save() is written over its `uts` field,
 * so the format era (from the arch record's magic) is what the image tells.
 */
export interface RealImageInfo {
  /** The path the image was read from (the scenario's value joined to its directory). */
  path: string;
  /** The image format, e.g. "5.13+ (e820 CRC32 in the arch header), zero pages (6.6+)". */
  format: string;
  compressor: 'lzo' | 'lz4' | 'none';
  /** swsusp_header.flags and their names (SF_*). */
  flags: number;
  flagNames: string[];
  /** swsusp_header.crc32 (0 for a nocompress image). */
  crc32: number;
  /** swsusp_info: image_pages (nr_copy_pages), meta pages, pages (copy + meta + 1), num_physpages. */
  nrCopyPages: number;
  nrMetaPages: number;
  pages: number;
  numPhyspages: number;
  /** 6.6+ zero pages (pfns with the zero flag in the meta pages); null when the meta pages do not decode. */
  nrZeroPages: number | null;
  /** Compressed bytes and chunks of the stream; null for nocompress (or when the chunk headers do not decode). */
  compressedBytes: number | null;
  chunks: number | null;
  /** The e820 CRC32 the 5.13+ arch record holds, or null. */
  e820Checksum: number | null;
}

/**
 * The short description of a real image that stands for a scenario's
 * hibernated state (`suspend.image`): the header's counts, and the meta/chunk
 * numbers when they decode (a broken meta page is the loader's to meet).
 */
export function describeRealImage(r: ImageReader, path: string): RealImageInfo {
  const info: RealImageInfo = {
    path,
    format: r.info.arch.era ? ARCH_ERA_LABEL[r.info.arch.era] : 'unknown arch header magic',
    compressor: r.compressor ?? 'none',
    flags: r.swsusp.flags,
    flagNames: flagNames(r.swsusp.flags),
    crc32: r.swsusp.crc32 >>> 0,
    nrCopyPages: r.info.imagePages,
    nrMetaPages: r.info.nrMetaPages,
    pages: r.info.pages,
    numPhyspages: r.info.numPhyspages,
    nrZeroPages: null,
    compressedBytes: null,
    chunks: null,
    e820Checksum: r.info.arch.e820Checksum,
  };
  // The meta pages and chunk headers are the loader's business: a broken one is what the
  // resume kernel meets (and reports), not a reason to refuse the scenario.
  try {
    const s = summarizeImage(r);
    info.format = s.format.label;
    info.nrZeroPages = s.stream.zeroPages;
    if (s.compression) {
      info.compressedBytes = s.compression.compressedBytes;
      info.chunks = s.compression.chunks;
    }
  } catch (e) {
    if (!(e instanceof HiblabError)) throw e;
  }
  return info;
}
