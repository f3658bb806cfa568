/**
 * Seed 000 e820 tables built by hand from the seed's own log lines (an
 * independent, minimal reading — not the firmware parser), so the boot model
 * can be tested on its own.
 */
import { readFileSync } from 'node:fs';
import type { E820Entry } from '../../src/firmware/e820-types.js';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import type { BootE820 } from '../../src/machine/boot.js';
import { sharedPath } from '../helpers/fixtures.js';

const NAMES: Record<string, number> = {
  usable: E820_TYPE.RAM,
  reserved: E820_TYPE.RESERVED,
  'ACPI data': E820_TYPE.ACPI,
  'ACPI NVS': E820_TYPE.NVS,
};

export function seed000Text(): string {
  return readFileSync(sharedPath('seeds/000_3abfce8d8115b358.txt'), 'utf8');
}

function linesWith(prefix: string): E820Entry[] {
  const out: E820Entry[] = [];
  const re = new RegExp(`${prefix} \\[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\\] (.*)$`);
  for (const line of seed000Text().split('\n')) {
    const m = re.exec(line.trim());
    if (!m) continue;
    const a = BigInt(m[1]!);
    const e = BigInt(m[2]!);
    out.push({ addr: a, size: e - a + 1n, type: NAMES[m[3]!.trim()]! });
  }
  return out;
}

/** trim_bios_range(): [0, 4K) RAM → reserved; RAM in [640K, 1M) removed (not present in these tables). */
function trimBios(t: E820Entry[]): E820Entry[] {
  const out: E820Entry[] = [];
  for (const e of t) {
    if (e.addr === 0n && e.type === E820_TYPE.RAM) {
      out.push({ addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED });
      out.push({ addr: 0x1000n, size: e.size - 0x1000n, type: E820_TYPE.RAM });
    } else out.push(e);
  }
  return out;
}

/** The resume boot: the `reserve setup_data:` table (3.10: the setup_data piece is RESERVED_KERN). */
export function seed000Resume(): BootE820 {
  const t = linesWith('reserve setup_data:');
  if (t.length !== 27) throw new Error(`seed 000: expected 27 'reserve setup_data' lines, got ${t.length}`);
  // The middle of the three touching "usable" pieces is the setup_data blob.
  const kernel = t.map((e) => (e.addr === 0xbd85d018n ? { ...e, type: E820_TYPE.RESERVED_KERN } : e));
  const firmware: E820Entry[] = [];
  for (const e of t) {
    const last = firmware[firmware.length - 1];
    if (last && last.type === e.type && last.addr + last.size === e.addr) {
      firmware[firmware.length - 1] = { ...last, size: last.size + e.size };
    } else firmware.push(e);
  }
  return { firmware, kernel: trimBios(kernel), setupData: [{ addr: 0xbd85d018n, size: 0x9a40n }] };
}

/** The suspend boot: the journal's `BIOS-e820:` table (the first one in the seed). */
export function seed000Suspend(): BootE820 {
  const t = linesWith('kernel: BIOS-e820:');
  if (t.length !== 25) throw new Error(`seed 000: expected 25 journal BIOS-e820 lines, got ${t.length}`);
  return { firmware: t, kernel: trimBios(t) };
}
