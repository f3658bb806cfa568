/**
 * Golden (baseline) files under test/baselines/<area>/<name>, TypeScript-
 * baseline style: a test compares its output with the stored file; running
 * with UPDATE_BASELINES=1 rewrites the files (review the diff, then commit).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from './fixtures.js';

/** The stored baseline text (written first when UPDATE_BASELINES=1). */
export function baselineText(area: string, name: string, actual: string): string {
  const p = join(REPO_ROOT, 'test', 'baselines', area, name);
  if (process.env.UPDATE_BASELINES === '1') {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, actual);
  }
  if (!existsSync(p)) throw new Error(`baseline missing: ${p} (run with UPDATE_BASELINES=1 to create it)`);
  return readFileSync(p, 'utf8');
}

export function expectBaseline(area: string, name: string, actual: string): void {
  expect(actual).toBe(baselineText(area, name, actual));
}
