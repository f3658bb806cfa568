/**
 * The front end of `hiblab crash`: batch runs (`-c "cmd; cmd"`, `-i FILE`,
 * commands on stdin) and the interactive `crash> ` prompt (node:readline
 * with history and tab completion of commands, symbols and struct names;
 * `q` quits). `--lib` prints, for each command, the TypeScript library calls
 * that give the same answer instead of running it (drgn's `--drgn`).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import * as inspect from '../inspect/index.js';
import type { InspectSession } from '../inspect/session.js';
import type { CliIo } from './io.js';

const QUIT = new Set(['q', 'quit', 'exit']);

/** Split `-c` text at `;` outside quotes and parentheses. */
export function splitCommands(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if ((c === ';' || c === '\n') && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out.filter((c) => c !== '' && !c.startsWith('#'));
}

/** Run one command, streaming its output; false when it failed. */
export function runOne(session: InspectSession, line: string, io: CliIo): boolean {
  let buf = '';
  try {
    for (const l of session.stream(line)) {
      buf += `${l}\n`;
      if (buf.length > 1 << 16) {
        io.out(buf);
        buf = '';
      }
    }
    io.out(buf);
    return true;
  } catch (e) {
    io.out(buf);
    const r = errorText(e);
    if (r === undefined) throw e;
    io.out(`${r}\n`);
    return false;
  }
}

function errorText(e: unknown): string | undefined {
  if (e instanceof Error && 'line' in e && typeof (e as { line: unknown }).line === 'string')
    return (e as unknown as { line: string }).line;
  if (e instanceof inspect.InspectError) return e.render('crash');
  return undefined;
}

/** Batch mode: echo `crash> cmd` and its output for each command; returns the exit status. */
export function runBatch(session: InspectSession, commands: string[], io: CliIo): number {
  let failed = false;
  for (const c of commands) {
    if (QUIT.has(c)) break;
    io.out(`crash> ${c}\n`);
    if (!runOne(session, c, io)) failed = true;
  }
  return failed ? 1 : 0;
}

/** `--lib`: the TypeScript calls behind each command. */
export function libProgram(session: InspectSession, commands: string[], dumpFile: string): string {
  const body: string[] = [];
  for (const c of commands) {
    if (QUIT.has(c)) break;
    body.push(`// crash> ${c}`);
    let lines: string[];
    try {
      lines = session.libFor(c);
    } catch (e) {
      const r = errorText(e);
      if (r === undefined) throw e;
      lines = [`// ${r}`];
    }
    body.push(lines.length ? '{' : '// (no library equivalent)');
    if (lines.length) body.push(...lines.map((l) => `  ${l}`), '}');
  }
  const used = Object.keys(inspect)
    .filter((name) => new RegExp(`\\b${name}\\b`).test(body.join('\n')))
    .sort();
  return [
    "import { fstatSync, openSync, readSync } from 'node:fs';",
    "import { inspect, loadDump } from 'hiblab';",
    '',
    // The dump is read where it is needed (pread), as `hiblab crash` reads it: a big dump is not loaded whole.
    `const file = ${JSON.stringify(dumpFile)};`,
    "const fd = openSync(file, 'r');",
    'const source = {',
    '  size: fstatSync(fd).size,',
    '  readAt: (offset: number, length: number): Uint8Array => {',
    '    const b = new Uint8Array(length);',
    '    return b.subarray(0, readSync(fd, b, 0, length, offset));',
    '  },',
    '};',
    'const target = inspect.dumpTarget(loadDump(source, file), file);',
    'const km = target.km;',
    used.length ? `const { ${used.join(', ')} } = inspect;` : '',
    '',
    ...body,
    '',
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
}

/** Interactive prompt; resolves when the user quits. */
export function runInteractive(
  session: InspectSession,
  input: Readable,
  output: Writable,
  io: CliIo,
): Promise<number> {
  return new Promise((resolve) => {
    const rl = createInterface({
      input,
      output,
      prompt: 'crash> ',
      historySize: 1000,
      terminal: Boolean((output as { isTTY?: boolean }).isTTY),
      completer: (line: string): [string[], string] => {
        const word = /(\S*)$/.exec(line)![1]!;
        return [session.complete(line), word];
      },
    });
    rl.prompt();
    rl.on('line', (line) => {
      const cmd = line.trim();
      if (QUIT.has(cmd)) {
        rl.close();
        return;
      }
      if (cmd) runOne(session, cmd, io);
      rl.prompt();
    });
    rl.on('close', () => resolve(0));
  });
}
