/**
 * Helpers to write a struct table compactly: one line per member
 * `[name, offset, size, type]` (arrays: `[name, offset, size, 'T [N]']`, the
 * count is parsed from the type). Tables are checked when built: members
 * inside the struct, sizes of arrays a multiple of their count.
 */
import type { StructField, StructLayout, StructTable } from '../struct-layout.js';
import type { StructPageLayout } from '../types.js';

export type FieldSpec = readonly [name: string, offset: number, size: number, type: string];

export function struct(
  name: string,
  size: number,
  fields: readonly FieldSpec[],
  kind: 'struct' | 'union' = 'struct',
): StructLayout {
  const out: StructField[] = fields.map(([n, offset, sz, type]) => {
    const arr = /\[(\d+)\]$/.exec(type);
    const f: StructField = arr
      ? { name: n, offset, size: sz, type, count: Number(arr[1]) }
      : { name: n, offset, size: sz, type };
    if (offset < 0 || offset + sz > size)
      throw new Error(`struct ${name}.${n}: [${offset}, +${sz}) outside ${size} bytes`);
    if (f.count !== undefined && sz % f.count !== 0)
      throw new Error(`struct ${name}.${n}: ${sz} bytes is not ${f.count} elements`);
    return f;
  });
  return { name, kind, size, fields: out };
}

export function table(source: string, layouts: readonly StructLayout[]): StructTable {
  return { source, structs: new Map(layouts.map((l) => [l.name, l])) };
}

/** The StructPageLayout the struct-page serialiser uses, read from the table's `page`. */
export function structPageLayoutOf(t: StructTable): StructPageLayout {
  const page = t.structs.get('page');
  if (!page) throw new Error(`struct table '${t.source}' has no struct page`);
  const at = (...names: string[]): number => {
    for (const n of names) {
      const f = page.fields.find((x) => x.name === n);
      if (f) return f.offset;
    }
    throw new Error(`struct page has none of ${names.join(', ')}`);
  };
  return {
    size: page.size,
    flags: at('flags'),
    mapping: at('mapping'),
    index: at('index'),
    refcount: at('_refcount', '_count'),
    mapcount: at('_mapcount'),
    lru: at('lru'),
    private: at('private'),
  };
}

/** Field offset by name (throws: a table without the member is a bug in the table). */
export function off(t: StructTable, structName: string, member: string): number {
  const l = t.structs.get(structName);
  const f = l?.fields.find((x) => x.name === member);
  if (!f) throw new Error(`struct ${structName} has no member ${member} in '${t.source}'`);
  return f.offset;
}

export function sizeOf(t: StructTable, structName: string): number {
  const l = t.structs.get(structName);
  if (!l) throw new Error(`no struct ${structName} in '${t.source}'`);
  return l.size;
}
