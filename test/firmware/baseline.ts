/** Golden-file compare: equal to test/baselines/firmware/<name>, or rewrite it when UPDATE_BASELINES=1. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

export function expectBaseline(name: string, actual: string): void {
  const p = join(REPO_ROOT, 'test', 'baselines', 'firmware', name);
  if (process.env.UPDATE_BASELINES === '1') {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, actual);
    return;
  }
  if (!existsSync(p)) throw new Error(`baseline missing: ${p} (run with UPDATE_BASELINES=1 to create it)`);
  expect(actual).toBe(readFileSync(p, 'utf8'));
}
