/**
 * Where the benches find `../shared` (fixtures the repository does not carry): beside the
 * repository, from bench/ under tsx or from dist/bench/ when built; HIBLAB_SHARED overrides.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const SHARED_DIR: string =
  process.env.HIBLAB_SHARED ??
  [resolve(here, '..', '..', 'shared'), resolve(here, '..', '..', '..', 'shared')].find((p) =>
    existsSync(resolve(p, 'fixtures')),
  ) ??
  resolve(here, '..', '..', 'shared');
