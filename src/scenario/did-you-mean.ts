/** "did you mean …" hints for misspelt keys and enum values. */

/** Edit distance with adjacent transpositions (optimal string alignment); inputs are short keys. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Lower case without `_`/`-`, so `target_copy_pages` finds `targetCopyPages`. */
const fold = (s: string): string => s.toLowerCase().replace(/[_\-\s]/g, '');

/** The closest candidate, or undefined when nothing is plausibly meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = fold(word);
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const f = fold(c);
    if (f === w) return c;
    const d = distance(w, f);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // Allow about one typo per four characters, at least one.
  return bestD <= Math.max(1, Math.floor(w.length / 4)) ? best : undefined;
}

/** ` (did you mean 'x'?)` or ''. */
export function hint(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}
