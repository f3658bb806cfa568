/**
 * A tiny printf for the kernel's log templates (%d %u %ld %lu %lld %llu %s %x
 * %3d%% …), so message text lives in the profiles exactly as the kernel
 * spells it.
 */
export function printk(template: string, ...args: (number | string | bigint)[]): string {
  let i = 0;
  return template.replace(
    /%(-?)(0?)(\d*)(?:\.(\d+))?(ll|l|h|z)?([dusxX%])/g,
    (_m, minus, zero, width, _prec, _len, conv) => {
      if (conv === '%') return '%';
      const a = args[i++];
      let s: string;
      if (conv === 's') s = String(a);
      else if (conv === 'x' || conv === 'X') {
        s = (
          typeof a === 'bigint' ? BigInt.asUintN(64, a) : BigInt(Math.trunc(Number(a))) & 0xffffffffffffffffn
        ).toString(16);
        if (conv === 'X') s = s.toUpperCase();
      } else s = String(typeof a === 'bigint' ? a : Math.trunc(Number(a)));
      const w = width ? Number(width) : 0;
      if (s.length < w) s = minus ? s.padEnd(w) : zero ? s.padStart(w, '0') : s.padStart(w);
      return s;
    },
  );
}
