/** Shared helpers for the scenario tests. */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HiblabError } from '../../src/errors.js';
import { baselineText } from '../helpers/baseline.js';

export const REPO = join(import.meta.dirname, '../..');
export const DATA = join(REPO, 'data');

export function readRepo(rel: string): string {
  return readFileSync(join(REPO, rel), 'utf8');
}

export function listYaml(dir: string): string[] {
  return readdirSync(join(REPO, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** Run `fn`, expect a HiblabError, return it. */
export function catchError(fn: () => unknown): HiblabError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HiblabError) return e;
    throw e;
  }
  throw new Error('expected an error, none was thrown');
}

/** Compare with test/baselines/scenario/<name>; rewrite it only when UPDATE_BASELINES=1. */
export function baseline(name: string, actual: string): string {
  return baselineText('scenario', name, actual);
}
