/**
 * The reports of `hiblab scenarios list` and `hiblab scenarios check`: text,
 * and JSON with stable keys. Platform neutral; the CLI gathers the facts
 * (the loaded scenario, both boots' tables, a real image's header) and hands
 * them over as plain data.
 *
 * JSON keys (stable):
 *   list:  scenarios[{name, profile, expect, description, file}]   (expect = outcome or null)
 *   check: file, name, valid (true), scenario, boots{suspend, resume} each
 *          {profile, source, origin, firmwareEntries, kernelEntries, crc32, ramPages};
 *          with a real image as the hibernated state: boots.suspend is null and image {path,
 *          format, compressor, flags, nrCopyPages, nrMetaPages, nrZeroPages, pages,
 *          numPhyspages, e820Checksum}
 */
import { hex32 } from '../util/hex.js';
import { toJson } from './json.js';

export interface ScenarioListRow {
  name: string;
  profile: string;
  /** The expected outcome, or null. */
  expect: string | null;
  description: string;
  file: string;
}

/** One boot as `scenarios check` shows it. */
export interface BootCheck {
  profile: string;
  source: string;
  origin: string;
  firmwareEntries: number;
  kernelEntries: number;
  /** CRC32 of the firmware table (the e820 checksum a 6.x image records). */
  crc32: number;
  ramPages: number;
}

/** A real image as the hibernated state: what its headers say. */
export interface ImageCheck {
  path: string;
  format: string;
  compressor: string;
  flags: number | null;
  nrCopyPages: number;
  nrMetaPages: number;
  nrZeroPages: number | null;
  pages: number;
  numPhyspages: number;
  e820Checksum: number | null;
}

export interface ScenarioCheck {
  file: string;
  name: string;
  profile: string;
  expect: string | null;
  /** The loaded scenario with every default filled (JSON only). */
  scenario: unknown;
  /** null when the hibernated state is a real image. */
  suspend: BootCheck | null;
  resume: BootCheck;
  image?: ImageCheck;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function scenarioListJson(rows: readonly ScenarioListRow[]): string {
  return toJson({ scenarios: rows });
}

export function scenarioListText(rows: readonly ScenarioListRow[]): string {
  const t = [['NAME', 'PROFILE', 'EXPECT', 'DESCRIPTION']];
  for (const r of rows) t.push([r.name, r.profile, r.expect ?? '-', r.description]);
  return `${table(t)}\n\nSee one with \`hiblab scenarios show <name>\`; validate your own with \`hiblab scenarios check <file.yaml>\`.\n`;
}

function bootJson(b: BootCheck) {
  return {
    profile: b.profile,
    source: b.source,
    origin: b.origin,
    firmwareEntries: b.firmwareEntries,
    kernelEntries: b.kernelEntries,
    crc32: hex32(b.crc32),
    ramPages: b.ramPages,
  };
}

function bootLine(which: string, b: BootCheck): string {
  return `  ${which}: ${b.profile}, ${b.source} (${b.origin}), ${b.firmwareEntries} firmware / ${b.kernelEntries} kernel entries, e820 CRC32 ${hex32(b.crc32)}, ${b.ramPages} RAM pages`;
}

export function scenarioCheckJson(c: ScenarioCheck): string {
  const base = {
    file: c.file,
    name: c.name,
    valid: true,
    scenario: c.scenario,
    boots: { suspend: c.suspend ? bootJson(c.suspend) : null, resume: bootJson(c.resume) },
  };
  if (!c.image) return toJson(base);
  const i = c.image;
  return toJson({
    ...base,
    image: { ...i, e820Checksum: i.e820Checksum === null ? null : hex32(i.e820Checksum) },
  });
}

export function scenarioCheckText(c: ScenarioCheck): string {
  const expect = c.expect ?? '-';
  const out: string[] = [];
  if (c.image) {
    const i = c.image;
    const e820 = i.e820Checksum === null ? '' : `, e820 CRC32 ${hex32(i.e820Checksum)}`;
    out.push(
      `${c.file}: scenario '${c.name}' is valid (real image, expect ${expect})`,
      `  suspend: the real image ${i.path}: ${i.format}; ${i.compressor}, ${i.nrCopyPages} image pages, ${i.pages} pages in all${e820}`,
    );
  } else {
    out.push(`${c.file}: scenario '${c.name}' is valid (${c.profile}, expect ${expect})`);
    if (c.suspend) out.push(bootLine('suspend', c.suspend));
  }
  out.push(bootLine('resume', c.resume));
  return `${out.join('\n')}\n`;
}
