#!/usr/bin/env node
// Runs the Biome linter/formatter binary. The project depends on the Linux x64
// build directly (@biomejs/cli-linux-x64): the npm registry reachable here does not
// serve the other platforms' packages, which the @biomejs/biome wrapper lists as
// optional dependencies and which `npm ci` then reports as missing from the lock.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let bin;
try {
  bin = join(dirname(require.resolve('@biomejs/cli-linux-x64/package.json')), 'biome');
} catch {
  bin = undefined;
}
if (!bin || !existsSync(bin)) {
  console.error('biome: @biomejs/cli-linux-x64 is not installed (run npm ci on Linux x64)');
  process.exit(2);
}
const r = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
process.exit(r.status ?? 1);
