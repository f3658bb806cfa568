/** Scenario files: YAML loader, e820 source resolution, builtin scenarios. */

export { builtinReader, DATA_PREFIX, dataFiles, dataKey } from './builtin-reader.js';
export {
  BUILTIN_BASE_DIR,
  BUILTIN_NAMES,
  BUILTINS,
  type BuiltinFile,
  type BuiltinName,
  type BuiltinScenario,
  getBuiltin,
  getBuiltinEntry,
  isBuiltin,
  listBuiltins,
} from './builtins.js';
export {
  type ImageFile,
  type ImageOpener,
  type OpenedImage,
  openScenarioImage,
  type RealImageInfo,
} from './image-suspend.js';
export { deriveSeed, loadScenario, SCENARIO_KEYS, SCENARIO_MAX_BYTES } from './load.js';
export {
  dirName,
  type FileReader,
  joinPath,
  profileForLog,
  type ResolveContext,
  type ResolvedBoot,
  type ResolvedE820,
  resolveBoot,
  resolveE820,
} from './resolve.js';
export * from './types.js';
