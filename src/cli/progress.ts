/** A progress bar on stderr, drawn only when both the CLI io and stderr are terminals. */
import type { CliIo } from './io.js';

export function progressBar(io: CliIo, label: string): ((done: number, total: number) => void) | undefined {
  if (!io.isTty || !process.stderr.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = total ? Math.floor((done * 100) / total) : 100;
    if (pct === last) return;
    last = pct;
    const w = 30;
    const fill = Math.round((pct / 100) * w);
    process.stderr.write(
      `\r${label} [${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${pct}%${pct >= 100 ? '\n' : ''}`,
    );
  };
}
