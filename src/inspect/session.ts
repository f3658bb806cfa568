/**
 * An inspector session: runs crash command lines against a target and
 * returns their text. It keeps what a crash session keeps (gdb's value
 * history $N, the output radix) and dispatches as crash does:
 *   - a command name (or alias), `x/NFU …`, `p/x …`;
 *   - a struct or union name (`memory_bitmap.cur ADDR`) runs `struct`;
 *   - a symbol name (`forbidden_pages_map`) runs `p`;
 *   - `cmd | grep … | head …` filters the output;
 * errors print as crash prints them (`crash: command not found: foo`,
 * `sym: foo: symbol not found`, gdb's `No symbol "foo" in current context.`)
 * and the session goes on.
 */
import { type Command, type CommandContext, type SessionState, tokenize } from './command.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { structCommand } from './commands/struct.js';
import { InspectError } from './errors.js';
import { parseFilter, splitPipes } from './pipe.js';
import type { InspectTarget } from './target.js';

export interface CommandResult {
  /** Output lines (the error line last when it failed). */
  lines: string[];
  /** The crash-style error line, when the command failed. */
  error?: string;
}

interface Dispatch {
  cmd: Command;
  args: string[];
  rest: string;
  /** Name the command runs under (for error prefixes). */
  name: string;
}

export class InspectSession {
  readonly state: SessionState = { history: [], radix: 10 };
  readonly ctx: CommandContext;

  constructor(readonly target: InspectTarget) {
    this.ctx = { target, km: target.km, state: this.state };
  }

  /** Resolve a command line's first stage to a command. */
  private dispatch(stage: string): Dispatch {
    const words = tokenize(stage);
    let name = words[0]!;
    let args = words.slice(1);
    let rest = stage.slice(stage.indexOf(name) + name.length);
    // gdb-style format suffixes: x/1xb, p/x
    const slash = /^(x|p|print)(\/\S*)$/.exec(name);
    if (slash) {
      if (slash[1] === 'x') {
        args = [slash[2]!, ...args];
        rest = `${slash[2]} ${rest}`;
      } else {
        const f = slash[2]!.slice(1);
        if (f !== 'x' && f !== 'd' && f !== 'u')
          throw new InspectError('BAD_FORMAT', `Undefined output format "${f}".`, true);
        rest = `-${f === 'x' ? 'x' : 'd'} ${rest}`;
      }
      name = slash[1]!;
    }
    const cmd = findCommand(name);
    if (cmd) return { cmd, args, rest, name };
    const km = this.target.km;
    const structName = name.split('.')[0]!;
    if (km.structs.structs.has(structName) && !km.symbol(name)) {
      return { cmd: structCommand, args: words, rest: stage, name: 'struct' };
    }
    if (km.symbol(structName)) return { cmd: findCommand('p')!, args: words, rest: stage, name: 'p' };
    throw new InspectError('NO_COMMAND', `command not found: ${name}`, { prefix: 'crash' });
  }

  /** Output lines of one command line, streamed (errors thrown). */
  *stream(line: string): Generator<string> {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const [first, ...filters] = splitPipes(trimmed);
    if (!first) throw new InspectError('NO_COMMAND', 'command not found: |', { prefix: 'crash' });
    const d = this.dispatch(first);
    const pipes = filters.map(parseFilter);
    let out: Iterable<string> = this.guard(d, d.cmd.run(this.ctx, d.args, d.rest));
    for (const f of pipes) out = f(out);
    yield* out;
  }

  /** Re-throw command errors with the name they ran under. */
  private *guard(d: Dispatch, it: Iterable<string>): Generator<string> {
    try {
      yield* it;
    } catch (e) {
      if (e instanceof InspectError) throw new RenderedError(e.render(d.name), e.code);
      throw e;
    }
  }

  /** Run one command line; never throws for a command error. */
  execute(line: string): CommandResult {
    const lines: string[] = [];
    try {
      for (const l of this.stream(line)) lines.push(l);
      return { lines };
    } catch (e) {
      const msg = errorLine(e);
      if (msg === undefined) throw e;
      lines.push(...msg.split('\n'));
      return { lines, error: msg };
    }
  }

  /** Run one command line and return its text (each line ends in \n). */
  run(line: string): string {
    const r = this.execute(line);
    return r.lines.map((l) => `${l}\n`).join('');
  }

  /** TypeScript library calls for a command line (`--lib`). */
  libFor(line: string): string[] {
    const [first] = splitPipes(line.trim());
    if (!first) return [];
    const d = this.dispatch(first);
    return d.cmd.lib(d.args, d.rest);
  }

  /** Tab completion: command names, then symbols and struct names. */
  complete(line: string): string[] {
    const m = /(\S*)$/.exec(line)!;
    const word = m[1]!;
    const isFirst = line.trim() === word;
    const pool = isFirst
      ? [
          ...COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]),
          'q',
          ...this.target.km.structs.structs.keys(),
        ]
      : [...this.target.km.symbols.map((s) => s.name), ...this.target.km.structs.structs.keys()];
    return [...new Set(pool.filter((n) => n.startsWith(word)))].sort();
  }
}

/** An InspectError already rendered with its command prefix. */
export class RenderedError extends Error {
  constructor(
    readonly line: string,
    readonly code: string,
  ) {
    super(line);
  }
}

function errorLine(e: unknown): string | undefined {
  if (e instanceof RenderedError) return e.line;
  if (e instanceof InspectError) return e.render('crash');
  return undefined;
}
