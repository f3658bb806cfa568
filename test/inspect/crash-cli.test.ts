/**
 * The `hiblab crash` front end: -c batches echo `crash> cmd` and exit 1 when
 * a command failed, -i reads a file, stdin feeds commands when it is not a
 * terminal, --lib prints a program, the interactive prompt answers and quits
 * on `q`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { type CrashStdin, registerCrash } from '../../src/cli/commands/crash.js';
import { runInteractive } from '../../src/cli/crash-repl.js';
import type { CliIo } from '../../src/cli/io.js';
import { InspectSession } from '../../src/inspect/session.js';
import { seed000Fake } from './seed000-fake.js';

const dir = mkdtempSync(join(tmpdir(), 'hiblab-crash-'));
const dumpFile = join(dir, 'fake.dump');
writeFileSync(dumpFile, 'fake');

async function crash(argv: string[], stdinText?: string): Promise<{ code: number; out: string }> {
  let out = '';
  const add = (t: string): void => {
    out += t;
  };
  const io: CliIo = { out: add, err: add, isTty: false, exitCode: 0 };
  const stdin: CrashStdin = {
    isTty: stdinText === undefined,
    stream: Readable.from([]),
    readAll: async () => stdinText ?? '',
  };
  const program = new Command().exitOverride();
  registerCrash(
    (_bytes, file) => ({ ...seed000Fake().target, dumpName: file }),
    () => stdin,
  )(program, io);
  await program.parseAsync(['crash', dumpFile, ...argv], { from: 'user' });
  return { code: io.exitCode, out };
}

describe('hiblab crash', () => {
  it('-c runs ;-separated commands, echoing each', async () => {
    const r = await crash(['-c', 'p nr_copy_pages; eval 8191 | head -1']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'crash> p nr_copy_pages\nnr_copy_pages = $1 = 229023\ncrash> eval 8191 | head -1\nhexadecimal: 1fff\n',
    );
  });
  it("a failing command prints crash's error, the batch goes on, exit 1", async () => {
    const r = await crash(['-c', 'nosuch; p nr_meta_pages']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'crash: command not found: nosuch\ncrash> p nr_meta_pages\nnr_meta_pages = $1 = 448\n',
    );
  });
  it('-i FILE and stdin', async () => {
    const f = join(dir, 'cmds.txt');
    writeFileSync(f, '# a comment\nsym nosave_regions\n\nq\np 1\n');
    expect((await crash(['-i', f])).out).toBe(
      'crash> sym nosave_regions\nffffffff8be5da50 (d) nosave_regions\n',
    );
    expect((await crash([], 'ptov 0\n')).out).toBe(
      'crash> ptov 0\nVIRTUAL           PHYSICAL\nffff926340000000  0\n',
    );
  });
  it('--lib prints a program that loads the dump and calls the library', async () => {
    const r = await crash(['-c', 'vtop 0xffff9263fe142000', '--lib']);
    expect(r.out).toContain("import { inspect, loadDump } from 'hiblab';");
    // The dump is read by pread where needed (a big dump is not loaded whole), as `hiblab crash` does.
    expect(r.out).toContain('const target = inspect.dumpTarget(loadDump(source, file), file);');
    expect(r.out).toContain('readSync(fd, b, 0, length, offset)');
    expect(r.out).not.toContain('readFileSync');
    expect(r.out).toContain('const { formatVtop, vtop } = inspect;');
    expect(r.out).toContain('// crash> vtop 0xffff9263fe142000');
    expect(r.out).toContain('console.log(formatVtop(km, vtop(km, 0xffff9263fe142000n)).join');
  });
  it('the interactive prompt answers and quits on q', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let out = '';
    const add = (t: string): void => {
      out += t;
    };
    output.on('data', (d) => add(String(d)));
    const io: CliIo = { out: add, err: add, isTty: false, exitCode: 0 };
    const done = runInteractive(new InspectSession(seed000Fake().target), input, output, io);
    input.write('p nr_meta_pages\n');
    input.write('q\n');
    expect(await done).toBe(0);
    expect(out).toContain('crash> ');
    expect(out).toContain('nr_meta_pages = $1 = 448');
  });
});
