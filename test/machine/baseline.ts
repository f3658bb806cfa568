/** Golden-file compare for boot CLI output; rewrite only with UPDATE_BASELINES=1. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';

export function expectBaseline(name: string, actual: string): void {
  const path = join(REPO_ROOT, 'test', 'baselines', 'boot', name);
  if (process.env.UPDATE_BASELINES === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path))
    throw new Error(`baseline missing: ${path} (run with UPDATE_BASELINES=1 to create it)`);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}
