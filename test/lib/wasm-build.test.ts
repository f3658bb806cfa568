/**
 * The committed WebAssembly module (src/lib/wasm/module.ts) is what
 * assembly/index.ts builds to with the pinned AssemblyScript compiler: the
 * build script rebuilds it in memory and compares (`npm run build:wasm`
 * refreshes it).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('WebAssembly module build', () => {
  it('src/lib/wasm/module.ts is current', () => {
    const out = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toMatch(/current/);
  }, 120_000);
});
