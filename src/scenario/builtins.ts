/**
 * The builtin scenarios: data/scenarios/<name>.yaml, bundled as strings
 * (builtin-data.ts) and loaded through loadScenario() like any user file.
 * Their names are a public interface (CLI, docs, the engine's tests).
 */
import { ScenarioError } from '../errors.js';
import { BUILTIN_FILES } from './builtin-data.js';
import { hint } from './did-you-mean.js';
import { loadScenario } from './load.js';
import type { Scenario } from './types.js';

export { builtinReader, DATA_PREFIX, dataFiles } from './builtin-reader.js';

/** Builtin names in listing order (the seed-000 demo first). */
export const BUILTIN_NAMES = [
  'seed-000',
  'seed-000-6.12',
  'same-map',
  'qemu-384m-to-512m',
  'seed-001',
  'seed-001-fixmap',
  'seed-003',
  'seed-003-fixed',
  'seed-004',
  'seed-002-pagemap',
  'seed-002-owner-mismatch',
  'seed-002-owner-fixed',
  'hmm-hibernate-evict',
  'hmm-hibernate-lost',
] as const;

export type BuiltinName = (typeof BUILTIN_NAMES)[number];

export interface BuiltinFile {
  name: string;
  /** Repository path of the YAML, e.g. data/scenarios/seed-000.yaml. */
  path: string;
  /** The YAML text, verbatim. */
  yaml: string;
}

export interface BuiltinScenario extends BuiltinFile {
  /** Loaded and defaulted; source = {file: path, builtin: name}. */
  scenario: Scenario;
}

/** Base directory builtins resolve relative `file:` paths against (bundle paths). */
export const BUILTIN_BASE_DIR = 'data/scenarios';

/**
 * The builtin YAML files in BUILTIN_NAMES order (not parsed: a broken file
 * must not stop the CLI from starting; listBuiltins()/getBuiltin() parse).
 */
export const BUILTINS: readonly BuiltinFile[] = BUILTIN_NAMES.map((name) => ({
  name,
  path: `${BUILTIN_BASE_DIR}/${name}.yaml`,
  yaml: BUILTIN_FILES[`scenarios/${name}.yaml`] ?? '',
}));

function loadBuiltin(name: string): BuiltinScenario {
  const path = `${BUILTIN_BASE_DIR}/${name}.yaml`;
  const yaml = BUILTIN_FILES[`scenarios/${name}.yaml`];
  if (yaml === undefined)
    throw new ScenarioError('BUILTIN_MISSING', `builtin scenario file ${path} is not bundled`);
  const scenario = loadScenario(yaml, path);
  if (scenario.name !== name) {
    throw new ScenarioError('BUILTIN_NAME', `${path} is named '${scenario.name}', expected '${name}'`, {
      file: path,
    });
  }
  scenario.source = { file: path, builtin: name };
  return { name, path, yaml, scenario };
}

/** Builtins loaded so far, by name (each parsed once, on first use). */
const loaded = new Map<string, BuiltinScenario>();

function loadedBuiltin(name: string): BuiltinScenario {
  let b = loaded.get(name);
  if (!b) {
    b = loadBuiltin(name);
    loaded.set(name, b);
  }
  return b;
}

/** Every builtin, loaded (once) in BUILTIN_NAMES order. */
export function listBuiltins(): readonly BuiltinScenario[] {
  return BUILTIN_NAMES.map(loadedBuiltin);
}

export function isBuiltin(name: string): boolean {
  return (BUILTIN_NAMES as readonly string[]).includes(name);
}

/** The builtin with that name (a fresh deep copy, so callers may edit it). */
export function getBuiltinEntry(name: string): BuiltinScenario {
  // Only the named builtin is parsed: `hiblab run same-map` does not parse the other 13.
  const b = isBuiltin(name) ? loadedBuiltin(name) : undefined;
  if (!b) {
    throw new ScenarioError(
      'SCENARIO_UNKNOWN_BUILTIN',
      `no builtin scenario '${name}'${hint(name, BUILTIN_NAMES)}; builtins: ${BUILTIN_NAMES.join(', ')}`,
    );
  }
  return { ...b, scenario: structuredClone(b.scenario) };
}

/** The loaded builtin scenario with that name (a copy). */
export function getBuiltin(name: string): Scenario {
  return getBuiltinEntry(name).scenario;
}
