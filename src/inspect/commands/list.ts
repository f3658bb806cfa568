/**
 * `list [STRUCT.member | -o OFFSET] [-H HEAD | -h ADDR | START] [-s STRUCT.m[,m…]] [-r] [-x|-d]`:
 * walk a linked list and print each entry's address (and members with -s),
 * as crash does (seed 000: `list nosave_region.list -H 0xffffffff8be5da50
 * -s nosave_region.start_pfn,end_pfn -x`). With a `struct list_head` member
 * the next pointer points at the member (container_of subtracts its offset);
 * otherwise it points at the next entry. -H: the start is a list head that
 * is not an entry; -h: the start is the embedded list_head of the first entry.
 */
import { addressArg, type Command, type CommandContext, libAddress, parseArgs, usage } from '../command.js';
import { InspectError } from '../errors.js';
import type { Radix } from '../format-value.js';
import { hx, readU64 } from '../mem.js';
import { memberLines, resolveMember, splitSpec, structLayout } from './struct.js';

const MAX_ENTRIES = 1_000_000;

export interface ListWalk {
  /** Offset of the link inside each entry. */
  offset: number;
  /** The link is a struct list_head (points at the link, not at the entry). */
  listHead: boolean;
  /** Addresses of the entries, in list order. */
  entries: bigint[];
}

export function walkList(
  ctx: CommandContext,
  opts: { offset: number; listHead: boolean; start: bigint; mode: 'H' | 'h' | 'entry'; reverse?: boolean },
): bigint[] {
  const km = ctx.km;
  const linkOff = BigInt(opts.offset) + (opts.reverse ? 8n : 0n);
  const out: bigint[] = [];
  const seen = new Set<bigint>();
  // Position of the first link to follow and the address that ends the walk.
  let link: bigint;
  let stop: bigint;
  if (opts.mode === 'H') {
    link = readU64(km, opts.start + (opts.reverse ? 8n : 0n));
    stop = opts.start;
  } else {
    const first = opts.mode === 'h' ? opts.start - BigInt(opts.offset) : opts.start;
    out.push(first);
    seen.add(first);
    link = readU64(km, first + linkOff);
    stop = opts.listHead ? first + BigInt(opts.offset) : first;
  }
  while (link !== 0n && link !== stop) {
    const entry = opts.listHead ? link - BigInt(opts.offset) : link;
    if (seen.has(entry))
      throw new InspectError('LIST_LOOP', `duplicate list entry: ${hx(entry)}`, { prefix: 'list' });
    if (out.length >= MAX_ENTRIES)
      throw new InspectError('LIST_LONG', `list longer than ${MAX_ENTRIES} entries`, { prefix: 'list' });
    seen.add(entry);
    out.push(entry);
    link = readU64(
      km,
      (opts.listHead ? link : entry + BigInt(opts.offset)) + (opts.listHead && opts.reverse ? 8n : 0n),
    );
  }
  return out;
}

function parse(ctx: CommandContext, args: string[]) {
  const a = parseArgs('list', args, 'rxd', 'oHhsSe');
  let offset = 0;
  let listHead = false;
  const pos = [...a.positional];
  if (pos.length && /^[A-Za-z_]\w*\.[\w.]+$/.test(pos[0]!) && !ctx.km.symbol(pos[0]!)) {
    const { name, members } = splitSpec(pos.shift()!);
    const m = resolveMember(ctx.km, structLayout(ctx.km, name, 'struct'), members.join('.'), 'list');
    offset = m.offset;
    listHead = m.type.kind === 'struct' && m.type.name === 'list_head';
  }
  if (a.values.has('o')) {
    const o = a.values.get('o')!;
    if (/^[A-Za-z_]\w*\.[\w.]+$/.test(o)) {
      const { name, members } = splitSpec(o);
      const m = resolveMember(ctx.km, structLayout(ctx.km, name, 'struct'), members.join('.'), 'list');
      offset = m.offset;
      listHead = m.type.kind === 'struct' && m.type.name === 'list_head';
    } else offset = Number(BigInt(o.startsWith('0x') ? o : /^\d+$/.test(o) ? o : `0x${o}`));
  }
  let mode: 'H' | 'h' | 'entry' = 'entry';
  let startText: string | undefined;
  if (a.values.has('H')) {
    mode = 'H';
    startText = a.values.get('H');
    listHead = true;
  } else if (a.values.has('h')) {
    mode = 'h';
    startText = a.values.get('h');
    listHead = true;
  } else startText = pos.shift();
  if (startText === undefined) throw usage('list', 'requires a start address');
  const show = a.values.get('s') ?? a.values.get('S');
  const radix: Radix = a.flags.has('x') ? 16 : a.flags.has('d') ? 10 : ctx.state.radix;
  return { offset, listHead, mode, startText, show, radix, reverse: a.flags.has('r') };
}

export const command: Command = {
  name: 'list',
  summary: 'linked list',
  help: [
    'list [[-o] offset | struct.member] [-s struct[.member[,member]]] [-r] [-x|-d] [-H | -h] start',
    '',
    '  Walks a linked list and prints the address of each entry.',
    '    struct.member  the member that links the entries (a struct list_head or a next pointer).',
    '    -o offset      the link offset, as a number or struct.member.',
    '    -H start       start is a list head that is not itself an entry (LIST_HEAD).',
    '    -h start       start is the embedded list_head of the first entry.',
    '    -s struct[.member[,member]]  print each entry (or those members).',
    '    -r             follow the prev pointers of list_heads.',
    '  Example:',
    '    list nosave_region.list -H nosave_regions -s nosave_region.start_pfn,end_pfn -x',
  ],
  *run(ctx, args) {
    const p = parse(ctx, args);
    const start = addressArg(ctx, p.startText);
    const entries = walkList(ctx, {
      offset: p.offset,
      listHead: p.listHead,
      start,
      mode: p.mode,
      reverse: p.reverse,
    });
    let show: { layout: ReturnType<typeof structLayout>; members: string[] } | undefined;
    if (p.show) {
      const { name, members } = splitSpec(p.show);
      show = { layout: structLayout(ctx.km, name, 'struct'), members };
    }
    for (const e of entries) {
      yield hx(e).padStart(16, '0');
      if (!show) continue;
      if (show.members.length) {
        const refs = show.members.map((m) => resolveMember(ctx.km, show!.layout, m, 'list'));
        yield* memberLines(ctx.km, e, refs, p.radix);
      } else {
        const refs = show.layout.fields.map((f) => resolveMember(ctx.km, show!.layout, f.name, 'list'));
        yield `struct ${show.layout.name} {`;
        yield* memberLines(ctx.km, e, refs, p.radix);
        yield '}';
      }
    }
  },
  lib(args) {
    const a = parseArgs('list', args, 'rxd', 'oHhsSe');
    const head = a.values.get('H');
    const link = a.positional.find((x) => x.includes('.'));
    const lines: string[] = [];
    if (link) {
      const { name, members } = splitSpec(link);
      lines.push(
        `const link = resolveMember(km, km.structs.structs.get(${JSON.stringify(name)})!, ${JSON.stringify(members.join('.'))}, 'list');`,
      );
    } else lines.push('const link = { offset: 0 };');
    const start = head ?? a.values.get('h') ?? a.positional.find((x) => !x.includes('.')) ?? '0';
    lines.push(
      `const entries = walkList({ km, target: { km }, state: { history: [], radix: 10 } }, { offset: link.offset, listHead: ${Boolean(head) || a.values.has('h') || 'false'}, start: ${libAddress(start)}, mode: '${head ? 'H' : a.values.has('h') ? 'h' : 'entry'}' });`,
    );
    lines.push("for (const e of entries) console.log(e.toString(16).padStart(16, '0'));");
    return lines;
  },
};
