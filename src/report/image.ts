/**
 * The reports of `hiblab image info|verify|pages|extract|check`, as text or
 * JSON with stable keys. Platform neutral: they take what the image reader
 * and the e820 check return.
 *
 * JSON keys (stable):
 *   info:    { image: true, path, device, swapHeader, swsusp, format, swsuspInfo, arch, stream,
 *              compression, swapMap }  or  { image: false, path, reason, signature, swapHeader }
 *   verify:  { path, ok, verdict: 'intact'|'corrupt'|'unusable', error: {code, message, offset}|null,
 *              crc32Computed, crc32Stored, streamPages, dataPages, zeroPages, log: string[] }
 *   pages:   { path, pfns, dataPages, zeroPages, ranges: [{start, end, pages, zero}] }
 *            with --pfn: { path, pfn, state: 'data'|'zero'|'absent', bytes?: hex string }
 *   extract: { path, output, pages, zeroPages, bytes }
 *   check:   { path, e820: {file, boot, bootsFound, entries}, imageE820Checksum, mapE820Checksum,
 *              kernel6x: {applicable, accepted, checksumMatches, messages},
 *              kernel310: {applicable, accepted, numPhyspages, mapMaxPfn, memorySizeMatches, messages},
 *              pfnsOutsideRam: [{start, end, pages, type, zero}], pagesOutsideRam, acceptedByAll }
 */
import type { HiblabError } from '../errors.js';
import type { E820CheckResult } from '../power/image/e820-check.js';
import type { MetaList } from '../power/image/meta.js';
import type { decodeMkswapHeader } from '../power/image/mkswap-header.js';
import { PAGE_SIZE } from '../power/image/page.js';
import type { VerifyReport } from '../power/image/reader.js';
import type { ImageSummary } from '../power/image/summary.js';
import { hex, hex32 } from '../util/hex.js';

type MkswapHeader = ReturnType<typeof decodeMkswapHeader>;

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

// ---- info ----

export function imageInfoJson(path: string, s: ImageSummary) {
  return { image: true, path, ...s };
}

export function imageInfoText(path: string, s: ImageSummary): string {
  const L: string[] = [];
  const sh = s.swapHeader;
  L.push(`swap device: ${path} (${s.device.size} bytes, ${s.device.pages} pages)`);
  L.push(
    `mkswap header: version ${sh.version}, last_page ${sh.lastPage}, nr_badpages ${sh.nrBadpages}, uuid ${sh.uuid}, label "${printable(sh.label)}"`,
  );
  L.push(
    `swsusp header: sig "${printable(s.swsusp.sig)}", orig_sig "${printable(s.swsusp.origSig)}", image at swap page ${s.swsusp.image}`,
  );
  L.push(`  flags 0x${s.swsusp.flags.toString(16)} ${s.swsusp.flagNames.join(' | ') || '(none)'}`);
  L.push(`  crc32 ${s.swsusp.crc32}, hw_sig ${s.swsusp.hwSig ?? '-'}`);
  L.push(`format: ${s.format.label}; compressor ${s.format.compressor}`);
  const i = s.swsuspInfo;
  L.push(
    `swsusp_info: num_physpages ${i.numPhyspages}, image_pages ${i.imagePages}, pages ${i.pages}, size ${i.size}, nr_meta_pages ${i.nrMetaPages}, version_code ${i.versionCode}, cpus ${i.cpus}`,
  );
  const a = s.arch;
  L.push(
    `arch header: magic ${hex(a.magic, 16)}${a.magicKnown ? '' : ' (unknown)'}, jump_address ${hex(a.jumpAddress, 16)}, jump_address_phys ${a.jumpAddressPhys === null ? '-' : hex(a.jumpAddressPhys)}, cr3 ${hex(a.cr3)}, e820 ${a.e820Checksum !== null ? `checksum ${a.e820Checksum}` : a.e820Digest !== null ? `md5 ${a.e820Digest}` : 'check: none'}`,
  );
  const st = s.stream;
  L.push(
    `stream: ${st.streamPages} pages = ${st.metaPages} meta + ${st.copyPages} copy; ${st.zeroPages} zero pages; ${st.pfns} pfns${st.minPfn !== null ? ` (${hex(st.minPfn)}-${hex(st.maxPfn!)})` : ''}`,
  );
  if (s.compression) {
    const c = s.compression;
    L.push(
      `compression: ${c.chunks} chunks, ${c.compressedBytes} bytes compressed (${c.kbytesAfterCompression} kbytes) from ${c.uncompressedBytes}, ratio ${c.ratio.toFixed(2)}:1`,
    );
  } else {
    L.push('compression: none (SF_NOCOMPRESS_MODE)');
  }
  L.push(
    `swap map: ${s.swapMap.mapPages} map pages (${s.swapMap.firstMapPages.join(', ')}${s.swapMap.mapPages > s.swapMap.firstMapPages.length ? ', ...' : ''}), ${s.swapMap.entries} entries`,
  );
  return `${L.join('\n')}\n`;
}

/** A device without a hibernation image: why, and its swap header when it has one. */
export interface NoImage {
  path: string;
  reason: string;
  signature: string;
  swapHeader: MkswapHeader | null;
}

export function noImageJson(n: NoImage) {
  return { image: false, path: n.path, reason: n.reason, signature: n.signature, swapHeader: n.swapHeader };
}

export function noImageText(n: NoImage): string {
  let out = `${n.path}: ${n.reason}\n`;
  if (n.swapHeader && /^SWAP/.test(n.signature)) {
    const h = n.swapHeader;
    out += `mkswap header: version ${h.version}, last_page ${h.lastPage}, uuid ${h.uuid}, label "${printable(h.label)}"\n`;
  }
  return out;
}

// ---- verify ----

export type VerifyVerdict = 'intact' | 'corrupt' | 'unusable';

export function verifyJson(
  path: string,
  verdict: VerifyVerdict,
  err: HiblabError | null,
  rep: VerifyReport | undefined,
  log: string[],
) {
  return {
    path,
    ok: verdict === 'intact',
    verdict,
    error: err ? { code: err.code, message: err.message, offset: err.location.offset ?? null } : null,
    ...(rep
      ? {
          crc32Computed: rep.crc32Computed === null ? null : hex32(rep.crc32Computed),
          crc32Stored: rep.crc32Stored === null ? null : hex32(rep.crc32Stored),
          streamPages: rep.streamPages,
          dataPages: rep.dataPages,
          zeroPages: rep.zeroPages,
        }
      : {}),
    log,
  };
}

/** The verdict line (the loader's log lines are printed as they come). */
export function verifyText(verdict: VerifyVerdict, err: HiblabError | null): string {
  return verdict === 'intact'
    ? 'verdict: image intact\n'
    : `verdict: image ${verdict.toUpperCase()}: ${err!.oneLine()}\n`;
}

// ---- pages ----

export interface PfnRange {
  start: number;
  end: number;
  pages: number;
  zero: boolean;
}

/** The image's pfn list as runs of consecutive pfns of one kind (data or zero). */
export function pfnRanges(meta: MetaList): PfnRange[] {
  const ranges: PfnRange[] = [];
  for (let r = 0; r < meta.runs; r++) {
    const pfn = meta.runStart(r);
    const n = meta.runLength(r);
    const zero = meta.runIsZero(r);
    const last = ranges[ranges.length - 1];
    // The list's runs are maximal already; joining keeps that true of any PfnRuns.
    if (last && last.end + 1 === pfn && last.zero === zero) {
      last.end = pfn + n - 1;
      last.pages += n;
    } else ranges.push({ start: pfn, end: pfn + n - 1, pages: n, zero });
  }
  return ranges;
}

export function pagesJson(path: string, meta: MetaList, ranges: PfnRange[]) {
  return {
    path,
    pfns: meta.count,
    dataPages: meta.dataCount,
    zeroPages: meta.zeroCount,
    ranges: ranges.map((r) => ({ start: hex(r.start), end: hex(r.end), pages: r.pages, zero: r.zero })),
  };
}

export function pagesText(meta: MetaList, ranges: PfnRange[]): string {
  let out = '';
  for (const r of ranges) {
    out += `${hex(r.start)}-${hex(r.end)} (${r.pages} page${r.pages === 1 ? '' : 's'})${r.zero ? ' zero' : ''}\n`;
  }
  out += `${ranges.length} ranges, ${meta.count} pfns (${meta.dataCount} data, ${meta.zeroCount} zero)\n`;
  return out;
}

/** One pfn of the image: its bytes, a zero page, or not in the image (null). */
export type PfnContent = Uint8Array | 'zero' | null;

export function pfnJson(path: string, pfn: number, got: PfnContent) {
  const state = got === null ? 'absent' : got === 'zero' ? 'zero' : 'data';
  return {
    path,
    pfn: hex(pfn),
    state,
    ...(got instanceof Uint8Array
      ? { bytes: Array.from(got, (b) => b.toString(16).padStart(2, '0')).join('') }
      : {}),
  };
}

export function pfnText(pfn: number, got: PfnContent): string {
  if (got === null) return `pfn ${hex(pfn)} is not in the image\n`;
  if (got === 'zero') return `pfn ${hex(pfn)} is a zero page (ENCODED_PFN_ZERO_FLAG, no data page)\n`;
  return `pfn ${hex(pfn)} (physical ${hex(pfn * PAGE_SIZE)}):\n${hexDump(got, pfn * PAGE_SIZE)}`;
}

/** crash `rd`-like dump: physical address, 16 bytes per line, ASCII. */
export function hexDump(bytes: Uint8Array, base: number): string {
  let out = '';
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hx = Array.from(row, (b) => b.toString(16).padStart(2, '0'));
    const asc = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out += `${(base + off).toString(16).padStart(16, '0')}:  ${hx.slice(0, 8).join(' ')}  ${hx.slice(8).join(' ')}   ${asc}\n`;
  }
  return out;
}

// ---- extract ----

export interface ExtractResult {
  path: string;
  output: string;
  pages: number;
  zeroPages: number;
  bytes: number;
}

export function extractJson(r: ExtractResult) {
  return { path: r.path, output: r.output, pages: r.pages, zeroPages: r.zeroPages, bytes: r.bytes };
}

export function extractText(r: ExtractResult): string {
  return `wrote ${r.output}: ${r.pages} data pages, ${r.zeroPages} zero pages as holes, ${r.bytes} bytes (sparse)\n`;
}

// ---- check ----

export interface CheckReport {
  path: string;
  e820File: string;
  boot: number;
  bootsFound: number;
  entries: number;
  /** CRC32 of the map's firmware table. */
  crc: number;
  /** The resume kernel's command line (memmap=/mem=), or null. */
  cmdline: string | null;
  /** swsusp_info.num_physpages of the image. */
  numPhyspages: number;
  result: E820CheckResult;
}

export function checkJson(c: CheckReport) {
  const r = c.result;
  return {
    path: c.path,
    e820: { file: c.e820File, boot: c.boot, bootsFound: c.bootsFound, entries: c.entries },
    imageE820Checksum: r.imageE820Checksum === null ? null : hex32(r.imageE820Checksum),
    mapE820Checksum: hex32(r.mapE820Checksum),
    cmdline: c.cmdline,
    kernel6x: r.kernel6x,
    kernel310: r.kernel310,
    pfnsOutsideRam: r.pfnsOutsideRam.map((x) => ({ ...x, start: hex(x.start), end: hex(x.end) })),
    pagesOutsideRam: r.pagesOutsideRam,
    acceptedByAll: r.acceptedByAll,
  };
}

export function checkText(c: CheckReport): string {
  const r = c.result;
  const L: string[] = [];
  L.push(
    `e820 map: ${c.e820File}, boot ${c.boot} of ${c.bootsFound}, ${c.entries} firmware entries, crc32 ${hex32(c.crc)}`,
  );
  L.push(
    `image e820 checksum: ${r.imageE820Checksum === null ? 'none (no e820 check in this header format)' : hex32(r.imageE820Checksum)}`,
  );
  if (c.cmdline !== null) L.push(`resume cmdline: ${c.cmdline}`);
  const v6 = r.kernel6x;
  if (!v6.applicable) L.push(`6.x: refuses: ${v6.messages[0]} (not a 5.13+ header)`);
  else if (v6.accepted)
    L.push(
      `6.x: accepted (e820 checksum matches${v6.presentPages === null ? '' : `; num_physpages ${c.numPhyspages} == present pages ${v6.presentPages}`})`,
    );
  else
    L.push(
      `6.x: refuses: ${v6.messages.join(' / ')}${v6.memorySizeMatches === false ? ` (num_physpages ${c.numPhyspages} != present pages ${v6.presentPages} with --cmdline)` : ''}`,
    );
  const v3 = r.kernel310;
  const sizeNote = `num_physpages ${v3.numPhyspages} ${v3.memorySizeMatches ? '==' : '!='} max_pfn ${v3.mapMaxPfn} of this map`;
  if (!v3.applicable) L.push(`3.10: refuses: ${v3.messages[0]} (not a 3.10 / RHEL 7 header); ${sizeNote}`);
  else if (v3.accepted) L.push(`3.10: accepted (no e820 check; ${sizeNote})`);
  else L.push(`3.10: refuses: ${v3.messages.join(' / ')} (${sizeNote})`);
  if (r.pagesOutsideRam === 0) L.push("image pfns outside this map's RAM: none");
  else {
    L.push(`image pfns outside this map's RAM: ${r.pagesOutsideRam} pages`);
    for (const x of r.pfnsOutsideRam) {
      L.push(
        `  ${hex(x.start)}-${hex(x.end)} (${x.pages} page${x.pages === 1 ? '' : 's'}) in ${x.type}${x.zero ? `, ${x.zero} zero` : ''}`,
      );
    }
  }
  const apps = [v6.applicable ? '6.x' : '', v3.applicable ? '3.10' : ''].filter(Boolean).join(' and ');
  L.push(
    apps === ''
      ? 'verdict: rejected (no modelled kernel understands this image header)'
      : `verdict: ${r.acceptedByAll ? 'accepted' : 'rejected'} by ${apps}, the kernels that understand this header`,
  );
  return `${L.join('\n')}\n`;
}
