/**
 * The machines the plan store's run-form tests work on: a nokaslr 6.12 boot
 * of `table` whose memory reads through a ContentMap (the restore kernel's),
 * and optionally a second boot standing for the hibernated image's frames.
 */
import type { E820Entry } from '../../src/firmware/e820-types.js';
import { bootMachine } from '../../src/machine/boot.js';
import { HostBudget } from '../../src/mm/host-budget.js';
import { linux612 } from '../../src/profiles/index.js';
import { ContentMap } from '../../src/workload/content-map.js';

export function planMachine(table: E820Entry[]) {
  const m = bootMachine({ firmware: table, kernel: table }, { profile: linux612, kaslr: { nokaslr: true } });
  const budget = new HostBudget(2 ** 40);
  const content = new ContentMap(budget);
  m.mem.setProvider(content);
  return { m, budget, content };
}

/** planMachine() plus the image's machine with its own ContentMap. */
export function planMachinePair(table: E820Entry[]) {
  const { m, budget, content } = planMachine(table);
  const { m: img, content: imgContent } = planMachine(table);
  return { m, img, budget, content, imgContent };
}
