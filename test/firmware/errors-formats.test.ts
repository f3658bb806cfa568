/** Bad inputs → ParseError with location; the other input formats (binary, JSON, iomem); CRC-32. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HiblabError, type ParseError } from '../../src/errors.js';
import { crc32, E820_TYPE, e820Crc32, parseE820 } from '../../src/firmware/index.js';
import { cli } from '../helpers/cli.js';

function err(input: Uint8Array | string): ParseError {
  try {
    parseE820(input, 'in.txt');
  } catch (e) {
    expect(e).toBeInstanceOf(HiblabError);
    return e as ParseError;
  }
  throw new Error('expected a parse error');
}

describe('parse errors', () => {
  it('empty and blank files', () => {
    expect(err(new Uint8Array(0)).code).toBe('E820_EMPTY');
    expect(err(' \n\n').code).toBe('E820_EMPTY');
  });
  it('no table → E820_NOT_FOUND naming the file', () => {
    const e = err('[    0.000000] Linux version 6.12\n[    0.1] Hello\n');
    expect(e.code).toBe('E820_NOT_FOUND');
    expect(e.oneLine()).toMatch(/^in\.txt: /);
  });
  it('binary junk: NUL bytes not forming QEMU records, invalid UTF-8', () => {
    const junk = new Uint8Array([0x42, 0x49, 0x4f, 0x53, 0x0a, 0x00, 0x01, 0x02]);
    const e = err(junk);
    expect(e.code).toBe('E820_BINARY_INPUT');
    expect(e.location).toMatchObject({ line: 2, column: 1, offset: 5 });
    const bad = err(new Uint8Array([0x61, 0x0a, 0x62, 0xff, 0x63]));
    expect(bad.code).toBe('E820_BAD_UTF8');
    expect(bad.location).toMatchObject({ line: 2, column: 2 });
  });
  it('truncated line, bad hex, end < start, unknown type → file:line:column', () => {
    const t = err('x\n[    0.000000] BIOS-e820: [mem 0x0000-');
    expect(t.code).toBe('E820_BAD_LINE');
    expect(t.location).toMatchObject({ file: 'in.txt', line: 2, column: 39 }); // just after the '-' (38 chars);
    expect(t.message).toContain('line ends early');
    const h = err('BIOS-e820: [mem 0xZZ-0x1000] usable');
    expect(h.location).toMatchObject({ line: 1, column: 19 });
    expect(h.message).toContain('hex digits');
    const r = err('BIOS-e820: [mem 0x2000-0x1000] usable');
    expect(r.code).toBe('E820_BAD_RANGE');
    const ty = err('BIOS-e820: [mem 0x0-0xfff] bogus');
    expect(ty.code).toBe('E820_BAD_TYPE');
    expect(ty.location.column).toBe(28);
  });
  it('bounds: > 64 MiB input', () => {
    expect(err(new Uint8Array(64 * 1024 * 1024 + 1)).code).toBe('E820_INPUT_TOO_LARGE');
  });
  it('unknown prefixes are skipped, a wrapped range is joined', () => {
    const [b] = parseE820(
      'crash> dmesg | grep e820\n> [    0.000000] BIOS-e820: [mem 0x0000000000000000-\n0x000000000009ffff] usable\nSep 1 00:00:00 h kernel: BIOS-e820: [mem 0x0000000000100000-0x0000000000ffffff] reserved\n',
      'w',
    );
    expect(b!.entries).toEqual([
      { addr: 0n, size: 0xa0000n, type: 1 },
      { addr: 0x100000n, size: 0xf00000n, type: 2 },
    ]);
  });
});

describe('other formats', () => {
  it('QEMU etc/e820: packed 20-byte LE records, sanitized', () => {
    const bytes = new Uint8Array(40);
    const dv = new DataView(bytes.buffer);
    dv.setBigUint64(0, 0n, true);
    dv.setBigUint64(8, 0x18000000n, true);
    dv.setUint32(16, 1, true);
    dv.setBigUint64(20, 0xfffc0000n, true);
    dv.setBigUint64(28, 0x40000n, true);
    dv.setUint32(36, 2, true);
    const [b] = parseE820(bytes, 'etc-e820');
    expect(b!.source).toBe('qemu-etc-e820');
    expect(b!.entries).toEqual([
      { addr: 0n, size: 0x18000000n, type: 1 },
      { addr: 0xfffc0000n, size: 0x40000n, type: 2 },
    ]);
  });
  it('JSON with size or inclusive end, names or numbers', () => {
    const [b] = parseE820(
      JSON.stringify({
        e820: [
          { addr: '0x0', size: '0x9fc00', type: 'usable' },
          { addr: 0x100000, end: '0x7fffffff', type: 1 },
          { addr: '0x80000000', size: '4K', type: 'persistent (type 12)' },
          { addr: '0x80001000', size: 4096, type: 'soft reserved' },
        ],
        setupData: [{ addr: '0x1000018', size: '0x40' }],
        cmdline: 'mem=1G',
      }),
      'j.json',
    );
    expect(b!.entries[1]).toEqual({ addr: 0x100000n, size: 0x7ff00000n, type: 1 });
    expect(b!.entries[2]!.type).toBe(12);
    expect(b!.entries[3]!.type).toBe(E820_TYPE.SOFT_RESERVED);
    expect(b!.setupData).toEqual([{ addr: 0x1000018n, size: 0x40n }]);
    expect(b!.cmdline).toBe('mem=1G');
    const e = err('{"e820": [{"addr": "0x0", "type": 1}]}');
    expect(e.code).toBe('E820_BAD_JSON');
    expect(e.message).toContain('e820[0]');
  });
  it('/proc/iomem read without root is refused clearly', () => {
    expect(err('00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n').code).toBe(
      'E820_IOMEM_ZEROED',
    );
  });
  it('CRC-32 check value and the packed-table layout', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    // Empty table: just u32 0.
    expect(e820Crc32([])).toBe(crc32(new Uint8Array(4)));
  });
});

describe('CLI errors', () => {
  it('one line on stderr, non-zero exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hiblab-e820-'));
    const f = join(dir, 'empty.txt');
    writeFileSync(f, '');
    const { code: rc, out, err: errText } = await cli(['e820', 'show', f]);
    expect(rc).not.toBe(0);
    expect(out).toBe('');
    expect(errText.trimEnd().split('\n')).toHaveLength(1);
    expect(errText).toContain('E820_EMPTY');
  });
});
