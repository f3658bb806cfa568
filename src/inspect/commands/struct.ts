/**
 * `struct NAME[.member[,member…]] [ADDRESS|SYMBOL] [COUNT] [-x|-d|-o]` and
 * `union …`: a structure's layout, or the object at an address, printed as
 * crash prints it (seed 000):
 *
 *   struct bm_block {                     struct bm_block ADDR -x
 *     hook = { next = …, prev = … },
 *     start_pfn = 0xb8001, …
 *   }
 *     zone_start_pfn = 0x1                 struct zone.zone_start_pfn,spanned_pages ADDR -x
 *   struct pglist_data {                  struct pglist_data.node_zones ADDR -o
 *     [ffff92647ffd7000] struct zone node_zones[4];
 *   }
 * Without an address: the declaration (`-o` with member offsets) and SIZE.
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import type { StructLayout } from '../../profiles/struct-layout.js';
import {
  addressArg,
  type Command,
  type CommandContext,
  countArg,
  libAddress,
  parseArgs,
} from '../command.js';
import { type CType, declare, sizeOf } from '../ctype.js';
import { InspectError } from '../errors.js';
import { fieldType, findMember } from '../expr-eval.js';
import { formatValue, type Radix } from '../format-value.js';
import { hx } from '../mem.js';

export interface MemberRef {
  /** The path as typed ("cur", "cur.block"). */
  path: string;
  /** Last component (printed name). */
  name: string;
  offset: number;
  type: CType;
  bits?: { shift: number; width: number };
}

/** Split "zone.a,b,c" into the struct name and its member list. */
export function splitSpec(spec: string): { name: string; members: string[] } {
  const dot = spec.indexOf('.');
  if (dot < 0) return { name: spec, members: [] };
  return {
    name: spec.slice(0, dot),
    members: spec
      .slice(dot + 1)
      .split(',')
      .filter(Boolean),
  };
}

export function structLayout(km: KernelMemory, name: string, kind: 'struct' | 'union'): StructLayout {
  const l = km.structs.structs.get(name);
  if (!l) throw new InspectError('NO_TYPE', `invalid data structure reference: ${name}`, { prefix: kind });
  return l;
}

export function resolveMember(km: KernelMemory, l: StructLayout, path: string, kind: string): MemberRef {
  let cur = l;
  let offset = 0;
  let last: ReturnType<typeof findMember>;
  const parts = path.split('.');
  for (const [i, part] of parts.entries()) {
    last = findMember(km, cur, part);
    if (!last)
      throw new InspectError('NO_MEMBER', `invalid data structure reference: ${l.name}.${path}`, {
        prefix: kind,
      });
    offset += last.offset;
    if (i < parts.length - 1) {
      if (last.type.kind !== 'struct')
        throw new InspectError('NO_MEMBER', `invalid data structure reference: ${l.name}.${path}`, {
          prefix: kind,
        });
      cur = last.type.layout;
    }
  }
  return { path, name: parts[parts.length - 1]!, offset, type: last!.type, bits: last!.field.bits };
}

/** Lines for members of the object at addr ("  name = value"). */
export function memberLines(km: KernelMemory, addr: bigint, refs: MemberRef[], radix: Radix): string[] {
  const out: string[] = [];
  for (const m of refs) {
    const text = formatValue(km, { type: m.type, addr: addr + BigInt(m.offset), bits: m.bits }, { radix }, 1);
    out.push(...`  ${m.name} = ${text}`.split('\n'));
  }
  return out;
}

/** Declaration lines of a layout (gdb ptype style, 4-space indent), or `[offset]` with -o. */
export function declarationLines(
  km: KernelMemory,
  l: StructLayout,
  members: string[],
  withOffsets: boolean,
): string[] {
  const fields = members.length
    ? members.map((m) => {
        const r = resolveMember(km, l, m, l.kind);
        return { name: r.name, offset: r.offset, type: r.type };
      })
    : l.fields.map((f) => ({ name: f.name, offset: f.offset, type: fieldType(km, f) }));
  const width = Math.max(...fields.map((f) => `[${f.offset}]`.length), 0);
  const lines = [`${l.kind} ${l.name} {`];
  for (const f of fields) {
    const decl = `${declare(f.type, f.name)};`;
    lines.push(withOffsets ? `  ${`[${f.offset}]`.padStart(width)} ${decl}` : `    ${decl}`);
  }
  lines.push('}');
  lines.push(`SIZE: ${l.size}`);
  return lines;
}

export function structLines(ctx: CommandContext, kind: 'struct' | 'union', args: string[]): string[] {
  const a = parseArgs(kind, args, 'xdo', 'c');
  const [spec, addrText, countText] = a.positional;
  if (!spec) throw new InspectError('USAGE', `requires a ${kind} name`, { prefix: kind });
  const { name, members } = splitSpec(spec);
  const l = structLayout(ctx.km, name, kind);
  const radix: Radix = a.flags.has('x') ? 16 : a.flags.has('d') ? 10 : ctx.state.radix;
  if (addrText === undefined) return declarationLines(ctx.km, l, members, a.flags.has('o'));
  const addr = addressArg(ctx, addrText);
  const count = a.values.has('c')
    ? countArg(kind, a.values.get('c')!)
    : countText
      ? countArg(kind, countText)
      : 1;
  const refs = members.length
    ? members.map((m) => resolveMember(ctx.km, l, m, kind))
    : l.fields.map((f) => ({
        path: f.name,
        name: f.name,
        offset: f.offset,
        type: fieldType(ctx.km, f),
        bits: f.bits,
      }));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = addr + BigInt(i * l.size);
    if (a.flags.has('o')) {
      out.push(`${kind} ${l.name} {`);
      for (const r of refs) out.push(`  [${hx(at + BigInt(r.offset))}] ${declare(r.type, r.name)};`);
      out.push('}');
    } else if (members.length) {
      out.push(...memberLines(ctx.km, at, refs, radix));
    } else {
      const t: CType = { kind: 'struct', name: l.name, union: l.kind === 'union', layout: l };
      out.push(...`${kind} ${l.name} ${formatValue(ctx.km, { type: t, addr: at }, { radix })}`.split('\n'));
    }
  }
  return out;
}

function make(kind: 'struct' | 'union'): Command {
  return {
    name: kind,
    summary: `${kind} contents`,
    help: [
      `${kind} ${kind}_name[.member[,member]] [-o] [-x|-d] [address | symbol] [count | -c count]`,
      '',
      `  Without an address, shows the ${kind} declaration and its SIZE (-o: member offsets).`,
      `  With an address, prints the ${kind} at that address (or only the listed`,
      '  members); -x/-d select hexadecimal/decimal, -o prints member addresses.',
      `  A ${kind} name may be typed as a command by itself: "zone.name ADDR".`,
    ],
    run(ctx, args) {
      return structLines(ctx, kind, args);
    },
    lib(args) {
      const a = parseArgs(kind, args, 'xdo', 'c');
      const [spec, addrText] = a.positional;
      const radix = a.flags.has('x') ? 16 : 10;
      if (!spec) return [];
      const { name, members } = splitSpec(spec);
      if (addrText === undefined)
        return [
          `console.log(declarationLines(km, km.structs.structs.get(${JSON.stringify(name)})!, ${JSON.stringify(members)}, ${a.flags.has('o')}).join('\\n'));`,
        ];
      const l = `km.structs.structs.get(${JSON.stringify(name)})!`;
      if (members.length)
        return [
          `const refs = ${JSON.stringify(members)}.map((m) => resolveMember(km, ${l}, m, '${kind}'));`,
          `console.log(memberLines(km, ${libAddress(addrText)}, refs, ${radix}).join('\\n'));`,
        ];
      return [
        `const layout = ${l};`,
        `const v = { type: { kind: 'struct', name: layout.name, union: ${kind === 'union'}, layout } as const, addr: ${libAddress(addrText)} };`,
        `console.log(\`${kind} \${layout.name} \${formatValue(km, v, { radix: ${radix} })}\`);`,
      ];
    },
  };
}

export const structCommand = make('struct');
export const unionCommand = make('union');
export { sizeOf };
