/** mm/vmalloc.c's placement as the loader's oops registers show it. */
import { describe, expect, it } from 'vitest';
import { VmallocArea } from '../../src/mm/vmalloc.js';

describe('VmallocArea', () => {
  it('puts each area after the previous one and its guard page', () => {
    const v = new VmallocArea(0xffffc90000000000n, 0x3000);
    // load_image_lzo(): page[] of 8192 pointers (64 KiB), then data (one struct dec_data of 0x43058 bytes).
    const page = v.vmalloc(8 * 8192);
    const data = v.vmalloc(0x43058);
    expect(page).toBe(0xffffc90000003000n);
    expect(data - page).toBe(BigInt(0x10000 + 0x1000));
    // 0x43058 bytes round up to 0x44000, plus the guard page.
    expect(v.vmalloc(1) - data).toBe(0x45000n);
  });
});
