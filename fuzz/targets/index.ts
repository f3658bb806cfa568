/**
 * Every fuzz target, in the order the runners use. To register a new one, add
 * its file beside these and put it in this list — see ../lib/types.ts for the contract.
 */
import type { FuzzTarget } from '../lib/types.js';
import { lz4, lzo, lzoWasm } from './codecs.js';
import { crashExpr } from './crash-expr.js';
import { dump } from './dump.js';
import { cmdline, e820Json, e820Text, iomem, qemuE820 } from './e820.js';
import { image } from './image.js';
import { scenario } from './scenario.js';

export const TARGETS: readonly FuzzTarget[] = [
  e820Text,
  iomem,
  qemuE820,
  e820Json,
  cmdline,
  scenario,
  image,
  lzo,
  lzoWasm,
  lz4,
  crashExpr,
  dump,
];

export function getTarget(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown fuzz target '${name}' (known: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
