/**
 * Seed 000's crash session re-enacted on any target: the same commands in
 * the same order, but every address the author copied from an earlier
 * output (a bitmap pointer, a bm_block, a bitmap byte) is taken from this
 * target's earlier output, as a user would. On the seed's own objects this
 * reproduces the transcript's command lines; on a model dump it tells the
 * same story at the model's addresses.
 */
import { InspectSession } from '../../src/inspect/session.js';

export interface Step {
  cmd: string;
  lines: string[];
  error?: string;
}

const PFN = 0xbe142n;

export function seed000Story(s: InspectSession): Step[] {
  const steps: Step[] = [];
  const run = (cmd: string): string[] => {
    const r = s.execute(cmd);
    steps.push({ cmd, lines: r.lines, error: r.error });
    return r.lines;
  };
  const hexOf = (lines: string[], re: RegExp): bigint | undefined => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return BigInt(m[1]!.startsWith('0x') ? m[1]! : `0x${m[1]}`);
    }
    return undefined;
  };
  const h = (v: bigint): string => v.toString(16);

  const bt = run('bt');
  const fault = hexOf(bt, /RDI: ([0-9a-f]{16})/) ?? 0xffff9263fe142000n;
  run(`vtop 0x${h(fault)}`);
  run('p orig_bm');
  run('p *(orig_bm.cur.block)');
  run('p orig_bm.cur.block.start_pfn+orig_bm.cur.bit-1');
  run('eval 778562*4096');
  run('ptov be142000');
  run('eval 778562');

  // forbidden_pages_map and free_pages_map: the bit of pfn 0xbe142 in each
  const bitmapByte = (sym: string, cast: string, spacing: string): { data?: bigint; start?: bigint } => {
    const ptr = hexOf(run(sym === 'forbidden_pages_map' ? sym : `p ${sym}`), /\) (0x[0-9a-f]+)/);
    if (ptr === undefined || ptr === 0n) return {};
    const block = hexOf(run(`memory_bitmap.cur${spacing}0x${h(ptr)}`), /block = (0x[0-9a-f]+)/);
    if (block === undefined || block === 0n) return {};
    const bl = run(`struct bm_block 0x${h(block)} -x`);
    const start = hexOf(bl, /start_pfn = (0x[0-9a-f]+)/);
    const data = hexOf(bl, /data = (0x[0-9a-f]+)/);
    if (start === undefined || data === undefined) return {};
    run(`p 0xbe142-0x${h(start)}`);
    const bit = PFN - start;
    run(`p ${bit}/8`);
    run(`p (${cast} *)(0x${h(data)}+${bit / 8n})`);
    run(`x/1xb 0x${h(data + bit / 8n)}`);
    return { data, start };
  };
  const forbidden = bitmapByte('forbidden_pages_map', 'char', '  ');
  bitmapByte('free_pages_map', 'void', ' ');

  run('p ((struct page *)vmemmap_base)+0xbe142');
  run('p (void *)page_offset_base+(0xbe142*4096)');
  run(`vtop ${h(fault)}`);
  run('p memblock_memory_init_regions -x');
  run('eval 0xbd842000+0x900000');
  run('p node_states[1]');
  const pgdat = hexOf(run('p node_data[0]'), /\) (0x[0-9a-f]+)/);
  if (pgdat !== undefined) {
    run(`struct pglist_data.node_zones 0x${h(pgdat)} -o`);
    const zsize = BigInt(s.target.km.structs.structs.get('zone')?.size ?? 0);
    run(`struct zone.zone_start_pfn,spanned_pages,present_pages ${h(pgdat)} -x`);
    run(`struct zone.zone_start_pfn,spanned_pages,present_pages,name 0x${h(pgdat + zsize)} -x`);
    run(`struct zone.zone_start_pfn,spanned_pages,present_pages 0x${h(pgdat + 2n * zsize)} -x`);
  }
  const page = hexOf(
    steps.find((x) => x.cmd.startsWith('p ((struct page *)'))?.lines ?? [],
    /\) (0x[0-9a-f]+)/,
  );
  if (page !== undefined) run(`kmem -p ${h(page)}`);
  for (const pa of ['be141000', 'be143000']) {
    const va = hexOf(run(`ptov ${pa}`), /^([0-9a-f]{16}) /);
    if (va !== undefined) run(`vtop ${h(va)}`);
  }
  run("dmesg |grep BIOS-e820 |grep 'ACPI'");
  const va = hexOf(run('ptov be1e8000'), /^([0-9a-f]{16}) /);
  if (va !== undefined) run(`vtop ${h(va)}`);
  run("kmem -p |grep -E ' 800000 | 80b000 | 810000 | be142000 | be1e8000 | bf36d000 | bf37f000 | bfb80000 '");
  run('p nr_copy_pages');
  run('p nr_meta_pages');
  const head = hexOf(run('p &nosave_regions'), /\) (0x[0-9a-f]+)/);
  if (head !== undefined)
    run(`list nosave_region.list -H 0x${h(head)} -s nosave_region.start_pfn,end_pfn -x`);

  // the forbidden bitmap around the other firmware ranges
  const { data, start } = forbidden;
  if (data !== undefined && start !== undefined) {
    // The author counted the range's pages before or after printing the byte.
    const byteOf = (pfn: bigint, show: string, pages?: { expr: string; before: boolean }): void => {
      run(`p 0x${h(pfn)}-0x${h(start)}`);
      const bit = pfn - start;
      run(`p ${bit}/8`);
      run(`p ${bit}%8`);
      if (pages?.before) run(`p ${pages.expr}`);
      run(`p (char *)(0x${h(data)}+${bit / 8n})`);
      if (pages && !pages.before) run(`p ${pages.expr}`);
      run(show.replace('ADDR', `0x${h(data + bit / 8n)}`));
    };
    byteOf(0xbe1e8n, 'x/1xb ADDR');
    run('eval 0x80');
    byteOf(0xbf36dn, 'x/3xg ADDR', { expr: '0x3ff-0x36d', before: false });
    byteOf(0xbe675n, 'x/2xg ADDR', { expr: '0x6be-0x675', before: true });
    run('p (1<<13)-1');
    run('eval 8191');
    run(`x/20xg (0x${h(data + (0xbe675n - start) / 8n)}-8*10)`);
  }
  return steps;
}

export function storyText(steps: Step[]): string {
  return `${steps.map((st) => [`crash> ${st.cmd}`, ...st.lines].join('\n')).join('\n')}\n`;
}

export { InspectSession };
