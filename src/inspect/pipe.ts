/**
 * crash passes `cmd | shell-command` output to a shell; the inspector runs
 * the filters people use in-process so it works anywhere (browser included):
 *   grep [-E] [-F] [-v] [-i] [-w] [-c] [-e] PATTERN   (BRE by default, ERE with -E)
 *   head [-n N | -N]    tail [-n N | -N]    wc -l
 * Filters stream: `kmem -p | grep …` never holds all lines at once.
 */
import { tokenize } from './command.js';
import { InspectError } from './errors.js';

export type Filter = (lines: Iterable<string>) => Iterable<string>;

/** Split a line at unquoted `|` (a `||` inside an expression is kept). */
export function splitPipes(line: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote = '';
  let paren = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') paren++;
    else if ((c === ')' || c === ']') && paren > 0) paren--;
    else if (c === '|' && paren === 0) {
      if (line[i + 1] === '|') {
        cur += '||';
        i++;
        continue;
      }
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

/** POSIX basic regular expression → JavaScript source. */
export function breToJs(bre: string): string {
  let out = '';
  for (let i = 0; i < bre.length; i++) {
    const c = bre[i]!;
    if (c === '\\' && i + 1 < bre.length) {
      const n = bre[++i]!;
      if ('(){}|+?'.includes(n)) out += n;
      else out += `\\${n}`;
    } else if ('(){}|+?'.includes(c)) out += `\\${c}`;
    else if (c === '[') {
      // copy a bracket expression verbatim ("[]abc]" keeps its leading ']')
      let j = i + 1;
      if (bre[j] === '^') j++;
      if (bre[j] === ']') j++;
      while (j < bre.length && bre[j] !== ']') j++;
      out += bre.slice(i, j + 1).replace(/\\/g, '\\\\');
      i = j;
    } else out += c;
  }
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function grep(args: string[]): Filter {
  let ere = false;
  let fixed = false;
  let invert = false;
  let icase = false;
  let word = false;
  let count = false;
  const patterns: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-e') {
      const p = args[++i];
      if (p === undefined) throw bad("grep: option requires an argument -- 'e'");
      patterns.push(p);
    } else if (/^-[EFviwc]+$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === 'E') ere = true;
        else if (f === 'F') fixed = true;
        else if (f === 'v') invert = true;
        else if (f === 'i') icase = true;
        else if (f === 'w') word = true;
        else count = true;
      }
    } else if (a.startsWith('-') && a.length > 1 && patterns.length === 0) {
      throw bad(`grep: unsupported option ${a}`);
    } else patterns.push(a);
  }
  if (patterns.length === 0) throw bad('grep: missing pattern');
  let re: RegExp;
  try {
    const src = patterns
      .map((p) => (fixed ? escapeRe(p) : ere ? p : breToJs(p)))
      .map((s) => (word ? `(?<![\\w])(?:${s})(?![\\w])` : s))
      .join('|');
    re = new RegExp(src, icase ? 'i' : '');
  } catch {
    throw bad(`grep: invalid regular expression: ${patterns.join(' ')}`);
  }
  return function* (lines) {
    let n = 0;
    for (const l of lines) {
      if (re.test(l) !== invert) {
        n++;
        if (!count) yield l;
      }
    }
    if (count) yield String(n);
  };
}

function lineCount(cmd: string, args: string[]): number {
  if (args.length === 0) return 10;
  const a = args.join(' ');
  const m = /^(?:-n\s*(\d+)|-(\d+)|--lines=(\d+))$/.exec(a);
  if (!m) throw bad(`${cmd}: unsupported arguments: ${a}`);
  return Number(m[1] ?? m[2] ?? m[3]);
}

function head(args: string[]): Filter {
  const n = lineCount('head', args);
  return function* (lines) {
    if (n === 0) return;
    let i = 0;
    for (const l of lines) {
      yield l;
      if (++i >= n) return;
    }
  };
}

function tail(args: string[]): Filter {
  const n = lineCount('tail', args);
  return function* (lines) {
    const ring: string[] = [];
    for (const l of lines) {
      ring.push(l);
      if (ring.length > n) ring.shift();
    }
    yield* ring;
  };
}

function wc(args: string[]): Filter {
  if (args.join(' ') !== '-l') throw bad('wc: only `wc -l` is supported');
  return function* (lines) {
    let n = 0;
    for (const _ of lines) n++;
    yield String(n);
  };
}

const bad = (msg: string): InspectError => new InspectError('PIPE', msg, { prefix: 'crash' });

/** The filter for one pipe stage ("grep -E 'a|b'"). */
export function parseFilter(stage: string): Filter {
  const words = tokenize(stage);
  const [cmd, ...args] = words;
  switch (cmd) {
    case 'grep':
    case 'egrep':
      return grep(cmd === 'egrep' ? ['-E', ...args] : args);
    case 'head':
      return head(args);
    case 'tail':
      return tail(args);
    case 'wc':
      return wc(args);
    default:
      throw bad(`${cmd ?? ''}: pipe command not supported (grep, head, tail, wc -l)`);
  }
}
