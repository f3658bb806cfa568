/** Shared helpers for the scenario tests. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HiblabError } from '../../src/errors.js';

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
  const p = join(REPO, 'test/baselines/scenario', name);
  if (process.env.UPDATE_BASELINES === '1') {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, actual);
  }
  if (!existsSync(p)) throw new Error(`baseline missing: ${p} (run with UPDATE_BASELINES=1 to create it)`);
  return readFileSync(p, 'utf8');
}
