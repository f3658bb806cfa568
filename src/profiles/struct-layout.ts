/**
 * C struct layouts as data: what a kernel built with the profile's config
 * puts at which offset. The crash-style inspector (`struct zone.spanned_pages
 * ADDR`), `KernelMemory` (struct pages serialised on read) and the dump reader
 * all read kernel objects through these tables, never through side channels.
 *
 * A layout is per profile (src/profiles/structs/*.ts) and names the kernel
 * version and config it matches. Offsets and sizes are bytes, little endian,
 * x86-64 (pointers and longs are 8 bytes).
 *
 * `type` is the C spelling the crash utility prints ("unsigned long",
 * "struct list_head", "struct bm_block *", "int", "char [16]"); the inspector
 * parses it to decide how to print and dereference a member:
 *   - a trailing `*` is a pointer to the named type,
 *   - `[N]` is an array of N elements (`count` holds N, `size` the whole array),
 *   - `struct X` / `union X` without `*` is an embedded object whose layout is
 *     looked up by name.
 */

export interface StructField {
  readonly name: string;
  readonly offset: number;
  /** Bytes the member occupies (the whole array for arrays). */
  readonly size: number;
  /** C type as crash prints it. */
  readonly type: string;
  /** Array element count (absent for scalars). */
  readonly count?: number;
  /** Bit-field: first bit and width inside the `size`-byte unit at `offset`. */
  readonly bits?: { readonly shift: number; readonly width: number };
}

export interface StructLayout {
  /** "page", "zone", "memory_bitmap", … (without the `struct ` keyword). */
  readonly name: string;
  readonly kind: 'struct' | 'union';
  readonly size: number;
  readonly fields: readonly StructField[];
}

/** The struct table of one kernel build, with where it comes from. */
export interface StructTable {
  /** e.g. "RHEL 7.9 3.10.0-1160 x86_64, CONFIG_NUMA=y, CONFIG_SPARSEMEM_VMEMMAP=y". */
  readonly source: string;
  readonly structs: ReadonlyMap<string, StructLayout>;
}

/** Field lookup: `member` may be dotted ("cur.block") through embedded structs. */
export function fieldPath(
  table: StructTable,
  structName: string,
  member: string,
): { offset: number; field: StructField } | undefined {
  let layout = table.structs.get(structName);
  let offset = 0;
  let field: StructField | undefined;
  for (const part of member.split('.')) {
    if (!layout) return undefined;
    field = layout.fields.find((f) => f.name === part);
    if (!field) return undefined;
    offset += field.offset;
    const embedded = /^(?:struct|union) (\w+)$/.exec(field.type);
    layout = embedded ? table.structs.get(embedded[1] as string) : undefined;
  }
  return field ? { offset, field } : undefined;
}
