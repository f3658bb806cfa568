// Preload (`node --import ./scripts/maxrss-hook.mjs dist/src/cli/main.js …`) that prints the
// process's peak RSS to stderr as its last line, `maxrss-kib N`, however it exits: the RSS
// bound of issue 11 is checked by test/hostile/rss-bound.test.ts and bench/rss.ts with it.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `maxrss-kib ${process.resourceUsage().maxRSS}\n`);
});
