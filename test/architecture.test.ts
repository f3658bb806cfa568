/**
 * The model core must run in a browser: no Node built-ins, no `process`, no
 * `Buffer` outside src/node/ and src/cli/. This test reads the sources, so a
 * stray `import ... from 'node:fs'` in the core fails the build.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/fixtures.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layering', () => {
  it('the core (src/ minus node/ and cli/) uses no Node APIs', () => {
    const src = join(REPO_ROOT, 'src');
    const offenders: string[] = [];
    for (const f of files(src)) {
      const rel = relative(src, f);
      if (rel.startsWith('node/') || rel.startsWith('cli/')) continue;
      const text = readFileSync(f, 'utf8');
      if (
        /from '(node:|fs'|path'|os'|worker_threads|child_process)/.test(text) ||
        /\bprocess\.|\bBuffer\./.test(text)
      ) {
        offenders.push(rel);
      }
    }
    expect(offenders).toEqual([]);
  });
});
