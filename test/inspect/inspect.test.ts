/**
 * Inspector behaviour beyond the seed transcript: gdb's C rules in `p`,
 * crash's 64-bit `eval`, crash-style errors, pipes, struct declarations,
 * rd/x/sym formats, kmem, --lib programs that give the same answers.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { libProgram, splitCommands } from '../../src/cli/crash-repl.js';
import * as inspect from '../../src/inspect/index.js';
import { InspectSession } from '../../src/inspect/session.js';
import { NOSAVE, PGDAT, seed000Fake } from './seed000-fake.js';

const fresh = () => new InspectSession(seed000Fake().target);
const out = (s: InspectSession, cmd: string) => s.execute(cmd);

describe('p: gdb expression semantics', () => {
  const s = fresh();
  const p = (e: string) => {
    const r = out(s, `p ${e}`);
    expect(r.error, r.lines.join('\n')).toBeUndefined();
    return r.lines.join('\n').replace(/^\$\d+ = /, '');
  };
  it('int arithmetic wraps at 32 bits, long does not', () => {
    expect(p('778562*4096')).toBe('-1105977344');
    expect(p('778562L*4096')).toBe('3188989952');
    expect(p('0x7fffffff+1')).toBe('-2147483648');
    expect(p('0xffffffff+1')).toBe('0'); // unsigned int
    expect(p('-1 >> 1')).toBe('-1');
    expect(p('1-2')).toBe('-1');
    expect(p('nr_copy_pages - 229024')).toBe('4294967295'); // unsigned int
  });
  it('pointer arithmetic is in units of the pointee; void * steps bytes', () => {
    expect(p('(struct page *)0 + 1')).toBe('(struct page *) 0x40');
    expect(p('(struct nosave_region *)0 + 2')).toBe('(struct nosave_region *) 0x40');
    expect(p('(void *)16 + 1')).toBe('(void *) 0x11');
    expect(p('(unsigned long *)0x1000 - 1')).toBe('(unsigned long *) 0xff8');
    expect(p('(struct page *)0x1080 - (struct page *)0x1000')).toBe('2');
  });
  it('pointer math on an incomplete struct, or across pointee sizes, is refused as gdb refuses it', () => {
    // The fuzz suite's crash-expr target found these dividing by a zero size (an exception).
    expect(out(s, 'p (struct qage *)0x1000 + 1').lines).toEqual([
      'Cannot perform pointer math on incomplete type "struct qage", try casting to a known type, or void *.',
      'p: gdb request failed: p (struct qage *)0x1000 + 1',
    ]);
    expect(
      out(s, 'p (struct qage *)vmemmap_base + (0xbe142 - 1) - (struct page *)vmemmap_base').lines[0],
    ).toMatch(/^Cannot perform pointer math on incomplete type "struct qage"/);
    expect(out(s, 'p (struct qage *)0x2000 - (struct page *)0x1000').lines.slice(0, 2)).toEqual([
      "First argument of `-' is a pointer and second argument is neither",
      'an integer nor a pointer of the same type.',
    ]);
    // Both pointees of unknown size: gdb assumes 1.
    expect(p('(struct qage *)0x1010 - (struct qage *)0x1000')).toBe('16');
  });
  it('members through . and -> on structs and pointers alike, & and *, [i]', () => {
    expect(p('forbidden_pages_map->cur.bit')).toBe('24898');
    expect(p('forbidden_pages_map.cur.block->start_pfn')).toBe('753665');
    expect(p('(*forbidden_pages_map).cur.bit == orig_bm.cur.bit')).toBe('1');
    expect(p('&orig_bm.cur')).toBe('(struct bm_position *) 0xffffffff8be5dc18');
    expect(p('&node_data[1]')).toBe('(struct pglist_data **) 0xffffffff8be5e008');
    expect(p('node_data[0]->node_zones[1].name')).toBe('0xffffffff8bc8e57a "DMA32"');
    expect(p('sizeof(struct bm_block)')).toBe('40');
    expect(p('sizeof orig_bm')).toBe('40');
    expect(p('nr_meta_pages > 400 ? 1 : 2')).toBe('1');
  });
  it('-x prints integers in hex, pointers stay hex', () => {
    expect(out(s, 'p -x nr_copy_pages').lines[0]).toMatch(/^nr_copy_pages = \$\d+ = 0x37e9f$/);
    expect(out(s, 'p/x nr_meta_pages').lines[0]).toMatch(/^nr_meta_pages = \$\d+ = 0x1c0$/);
    expect(out(s, 'p orig_bm.cur -x').lines).toEqual([
      `$${s.state.history.length} = {`,
      '  block = 0xffff92646cb9e288,',
      '  bit = 0x6142',
      '}',
    ]);
  });
  it('value history $N and $', () => {
    const n = s.state.history.length;
    out(s, 'p 40+2');
    expect(p(`$${n + 1} * 2`)).toBe('84');
    expect(p('$ + 1')).toBe('85');
  });
  it('crash-style errors', () => {
    expect(out(s, 'p nosuchsym').lines).toEqual([
      'No symbol "nosuchsym" in current context.',
      'p: gdb request failed: p nosuchsym',
    ]);
    expect(out(s, 'p 1 +').lines[0]).toBe("A syntax error in expression, near `'.");
    expect(out(s, 'p orig_bm.nope').lines[0]).toBe('There is no member named nope.');
    expect(out(s, 'p *nr_copy_pages').lines[0]).toBe('Attempt to take contents of a non-pointer value.');
    expect(out(s, 'p 1/0').lines[0]).toBe('Division by zero');
    expect(out(s, 'p *(unsigned long *)0xffff9263fe142000').lines[0]).toBe(
      'Cannot access memory at address 0xffff9263fe142000',
    );
    expect(out(s, 'eval 1+').error).toBe('crash: invalid expression: 1+');
    expect(out(s, 'foo').error).toBe('crash: command not found: foo');
    expect(out(s, 'sym nosuch').error).toBe('sym: nosuch: symbol not found');
    expect(out(s, 'struct nosuch').error).toBe('struct: invalid data structure reference: nosuch');
    expect(out(s, 'rd 0xffff9263fe142000').error).toBe(
      'rd: invalid kernel virtual address: ffff9263fe142000  type: "64-bit KVADDR"',
    );
  });
});

describe('C types as the struct tables spell them', () => {
  const { km } = seed000Fake();
  it('parses qualifiers, pointer arrays, function pointers and typedefs', () => {
    expect(inspect.typeName(inspect.parseType('char * const [3]', km.structs))).toBe('char * [3]');
    expect(inspect.declare(inspect.parseType('struct pglist_data *[1024]', km.structs), 'node_data')).toBe(
      'struct pglist_data *node_data[1024]',
    );
    expect(inspect.declare(inspect.parseType('void (*)(struct page *)', km.structs), 'fn')).toBe(
      'void (*fn)(struct page *)',
    );
    expect(inspect.sizeOf(inspect.parseType('nodemask_t [5]', km.structs))).toBe(640);
    expect(inspect.sizeOf(inspect.parseType('atomic_t', km.structs, 4))).toBe(4);
    expect(() => inspect.parseType('struct nosuch', km.structs)).toThrow(/No struct type named nosuch/);
  });
  it('a struct the table does not describe is incomplete behind a pointer', () => {
    expect(fresh().execute('p *orig_bm.p_list').lines).toEqual(['$1 = <incomplete type>']);
  });
  it('functions print as gdb prints code symbols', () => {
    const s = fresh();
    expect(s.execute('p load_image_lzo').lines).toEqual([
      'load_image_lzo = $1 = {int (void)} 0xffffffff8b2fdc50 <load_image_lzo>',
    ]);
  });
});

describe('eval: crash 64-bit calculator', () => {
  const s = fresh();
  it('prints hex with size suffix, decimal, octal, binary', () => {
    expect(out(s, 'eval 778562*4096').lines).toEqual([
      'hexadecimal: be142000  (3114248KB)',
      '    decimal: 3188989952',
      '      octal: 27605020000',
      '     binary: 0000000000000000000000000000000010111110000101000010000000000000',
    ]);
    expect(out(s, 'eval 4g').lines[0]).toBe('hexadecimal: 100000000  (4GB)');
    expect(out(s, 'eval 0xbd842000+0x900000').lines[0]).toBe('hexadecimal: be142000  (3114248KB)');
    expect(out(s, 'eval 0-100').lines[1]).toBe('    decimal: 18446744073709551516  (-100)');
    expect(out(s, 'eval -b 0x81').lines[4]).toBe('   bits set: 7 0');
  });
});

describe('dispatch and pipes', () => {
  const s = fresh();
  it('a symbol name runs p, a struct name runs struct', () => {
    expect(out(s, 'nr_meta_pages').lines[0]).toMatch(/^nr_meta_pages = \$\d+ = 448$/);
    expect(out(s, 'bm_block.start_pfn,end_pfn 0xffff92637d62d288').lines).toEqual([
      '  start_pfn = 753665',
      '  end_pfn = 786433',
    ]);
  });
  it('grep (BRE, -E, -v, -c, -i, -w), head, tail, wc -l', () => {
    const list = `list nosave_region.list -H nosave_regions -s nosave_region.start_pfn -x`;
    expect(out(s, `${list} | grep start_pfn | head -3`).lines).toEqual([
      '  start_pfn = 0xa0',
      '  start_pfn = 0x800',
      '  start_pfn = 0x80b',
    ]);
    expect(out(s, `${list} | grep start_pfn | tail -n 1`).lines).toEqual(['  start_pfn = 0xbfafc']);
    expect(out(s, `${list} | grep -c ffff92647ff3`).lines).toEqual(['12']);
    expect(out(s, `${list} | grep -v start | wc -l`).lines).toEqual(['12']);
    expect(out(s, `${list} | grep -E '0x(a0|800)$'`).lines).toEqual([
      '  start_pfn = 0xa0',
      '  start_pfn = 0x800',
    ]);
    expect(out(s, `${list} | grep '0x\\(a0\\|800\\)$'`).lines).toEqual([
      '  start_pfn = 0xa0',
      '  start_pfn = 0x800',
    ]);
    expect(out(s, `${list} | grep 'a0|800'`).lines).toEqual([]);
    expect(out(s, "dmesg | grep -i ACPI\\ DATA | grep -w 'ACPI data' | grep be1e8").lines).toHaveLength(1);
    expect(out(s, 'p 1 || 0').lines[0]).toMatch(/= 1$/);
    expect(out(s, 'sym -l | sort').error).toBe(
      'crash: sort: pipe command not supported (grep, head, tail, wc -l)',
    );
  });
  it('list walks -H heads, first entries, and -r backwards', () => {
    const fwd = out(s, 'list nosave_region.list -H nosave_regions').lines;
    expect(fwd).toEqual(NOSAVE.map(([a]) => a.toString(16)));
    expect(out(s, 'list -r nosave_region.list -H nosave_regions').lines).toEqual([...fwd].reverse());
    // From an entry, the LIST_HEAD is just another entry (crash cannot tell), and the walk ends back at the start.
    expect(out(s, `list nosave_region.list ${NOSAVE[10]![0].toString(16)}`).lines).toEqual([
      ...fwd.slice(10),
      'ffffffff8be5da50',
      ...fwd.slice(0, 10),
    ]);
  });
});

describe('struct, rd, x, sym, ptov', () => {
  const s = fresh();
  it('struct declarations with and without -o', () => {
    expect(out(s, 'struct bm_block').lines).toEqual([
      'struct bm_block {',
      '    struct list_head hook;',
      '    unsigned long start_pfn;',
      '    unsigned long end_pfn;',
      '    unsigned long *data;',
      '}',
      'SIZE: 40',
    ]);
    expect(out(s, 'struct -o memory_bitmap').lines).toEqual([
      'struct memory_bitmap {',
      '   [0] struct list_head blocks;',
      '  [16] struct linked_page *p_list;',
      '  [24] struct bm_position cur;',
      '}',
      'SIZE: 40',
    ]);
    expect(out(s, 'struct pglist_data.node_zones').lines[1]).toBe('    struct zone node_zones[4];');
    expect(out(s, `struct zone.name ${(PGDAT + 0x800n).toString(16)}`).lines).toEqual([
      '  name = 0xffffffff8bc8e57a "DMA32"',
    ]);
    // A count prints consecutive objects, sizeof(struct nosave_region) = 32 apart.
    expect(out(s, 'struct nosave_region.start_pfn ffff92647ff3a1c0 3').lines).toEqual([
      '  start_pfn = 778728',
      '  start_pfn = 0',
      '  start_pfn = 778562',
    ]);
  });
  it('rd: 64-bit words with ASCII, -32, -8, -p', () => {
    expect(out(s, 'rd nosave_regions 2').lines).toEqual([
      'ffffffff8be5da50:  ffff92647ff3c000 ffff92647ff3a0c0   ....d.......d...',
    ]);
    expect(out(s, 'rd -32 ffffffff8be5dc50 2').lines).toEqual([
      `ffffffff8be5dc50:  00037e9f 000001c0 ${' '.repeat(18)}  .~......`,
    ]);
    expect(out(s, 'rd -8 0xffffffff8bc8e57a 6').lines).toEqual([
      `ffffffff8bc8e57a:  44 4d 41 33 32 00 ${' '.repeat(30)}  DMA32.`,
    ]);
    expect(out(s, 'rd -p -x 13fffea08').lines).toEqual(['000000013fffea08:  80000000be141063']);
  });
  it('x: gdb units per line, symbols in labels, formats', () => {
    expect(out(s, 'x/2xg &nosave_regions').lines).toEqual([
      '0xffffffff8be5da50 <nosave_regions>:\t0xffff92647ff3c000\t0xffff92647ff3a0c0',
    ]);
    expect(out(s, 'x/2dw &nr_copy_pages').lines).toEqual([
      '0xffffffff8be5dc50 <nr_copy_pages>:\t229023\t448',
    ]);
    expect(out(s, 'x/s node_data[0]->node_zones[1].name').lines).toEqual(['0xffffffff8bc8e57a:\t"DMA32"']);
    expect(out(s, 'x/1tb 0xffff92637d621c3c').lines).toEqual(['0xffff92637d621c3c:\t10000000']);
    expect(out(s, 'x/9xb 0xffff92637d621c28').lines).toHaveLength(2);
  });
  it('sym by name and by address', () => {
    expect(out(s, 'sym nosave_regions').lines).toEqual(['ffffffff8be5da50 (d) nosave_regions']);
    expect(out(s, 'sym ffffffff8b2fe476').lines).toEqual(['ffffffff8b2fe476 (t) load_image_lzo+2086']);
  });
  it('ptov is page_offset_base + paddr; vtop of the kernel image maps through its PGD', () => {
    expect(out(s, 'ptov 0 1000').lines).toEqual([
      'VIRTUAL           PHYSICAL',
      'ffff926340000000  0',
      'ffff926340001000  1000',
    ]);
    const v = out(s, 'vtop ffffffff8be5da50').lines;
    expect(v[1]).toBe('ffffffff8be5da50  1fe5da50');
  });
  it('bt needs a panic task; sys and help print', () => {
    expect(out(s, 'sys').lines).toContain(
      '       PANIC: "BUG: unable to handle kernel paging request at ffff9263fe142000"',
    );
    expect(out(s, 'help').lines.join('\n')).toMatch(/kmem/);
    expect(out(s, 'help kmem').lines[1]).toBe('  kmem - kernel memory');
    const bare = new InspectSession({ km: seed000Fake().km });
    expect(bare.execute('bt').error).toBe('bt: no panic task in this dump (the machine did not oops)');
  });
  it('tab completion offers commands, then symbols and structs', () => {
    expect(s.complete('km')).toEqual(['kmem']);
    expect(s.complete('p nr_')).toEqual(['nr_copy_pages', 'nr_meta_pages']);
    expect(s.complete('struct bm_')).toEqual(['bm_block', 'bm_position']);
  });
});

describe('--lib: the printed library calls give the same answer', () => {
  const cmds = [
    'p orig_bm',
    'p orig_bm.cur.block.start_pfn+orig_bm.cur.bit-1',
    'eval 778562*4096',
    'vtop 0xffff9263fe142000',
    'ptov be142000',
    'struct bm_block 0xffff92637d62d288 -x',
    'struct zone.zone_start_pfn,spanned_pages ffff92647ffd7000 -x',
    'x/3xg 0xffff92637d621e6d',
    'rd nosave_regions 4',
    'sym ffffffff8b2fe476',
    'kmem -p ffffe30302f85080',
  ];
  for (const c of cmds) {
    it(c, () => {
      const { target } = seed000Fake();
      const session = new InspectSession(target);
      const expected = session
        .execute(c)
        .lines.join('\n')
        .replace(/^(\w+ = )?\$\d+ = /, '');
      const program = libProgram(new InspectSession(target), [c], 'seed.dump');
      // Run the body with the library bound, as a user's script would after loadDump: the
      // lines after the header (imports, the dump's pread source, target and km).
      const lines = program.split('\n');
      const body = lines.slice(lines.indexOf('const km = target.km;') + 1).join('\n');
      const js = ts.transpileModule(body, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
      const printed: string[] = [];
      const run = new Function('inspect', 'km', 'target', 'console', js);
      run(inspect, target.km, target, { log: (...a: unknown[]) => printed.push(a.map(String).join(' ')) });
      expect(printed.join('\n')).toBe(expected);
    });
  }
  it('splits -c text at ; outside quotes and parentheses', () => {
    expect(splitCommands("p 1; dmesg | grep 'a;b' ;; p (1;2)")).toEqual([
      'p 1',
      "dmesg | grep 'a;b'",
      'p (1;2)',
    ]);
  });
});

describe('kmem on sparsemem, zones and free lists', () => {
  const s = fresh();
  it('kmem -p walks every page of every present section', () => {
    expect(out(s, 'kmem -p | wc -l').lines).toEqual(['32769']);
    expect(out(s, "kmem -p | grep -E ' be142000 | be141000 '").lines).toEqual([
      'ffffe30302f85040 be141000 ffff92646e1873e0      20b  1 1fffff00080030 dirty,lru,swapbacked',
      'ffffe30302f85080 be142000                0        0  1 1fffff00000000',
    ]);
    expect(out(s, 'kmem -p | head -2').lines[1]).toBe(
      'ffffe30302e00000 b8000000                0        0  0 0',
    );
    // a physical and a direct-map virtual address name the same page
    expect(out(s, 'kmem -p be142000').lines[1]).toBe(out(s, 'kmem -p ffff9263fe142000').lines[1]);
  });
  it('kmem -f counts the free lists per order and migrate type and verifies nr_free_pages', () => {
    const f = out(s, 'kmem -f').lines;
    expect(f.slice(0, 2)).toEqual(['NODE', '  0']);
    expect(f).toContain('  1   DMA32     1044480      10  ffffe30300040000    1000000       4096');
    expect(f).toContain(`  0       4k  ${(PGDAT + 0x800n + 0x100n + 32n).toString(16)}       2      2`);
    expect(f).toContain(`  3      32k  ${(PGDAT + 0x800n + 0x100n + 3n * 88n).toString(16)}       1      8`);
    expect(f[f.length - 1]).toBe('nr_free_pages: 10  (verified)');
  });
  it('kmem -i and kmem -n', () => {
    expect(out(s, 'kmem -i').lines).toEqual([
      '                 PAGES        TOTAL      PERCENTAGE',
      '    TOTAL MEM  3997696      15.2 GB         ----',
      '         FREE       10        40 KB    0% of TOTAL MEM',
      '         USED  3997686      15.2 GB   99% of TOTAL MEM',
    ]);
    const n = out(s, 'kmem -n').lines;
    expect(n[1]).toBe(`  0   1046020   ${PGDAT.toString(16)}        ----        ${PGDAT.toString(16)}`);
    expect(n[n.length - 1]).toBe('23  ffff92647ff302e0  ffffe30300000000  ffffe30302e00000   PM   753664');
  });
});
