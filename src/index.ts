/**
 * hiblab's library API (platform neutral: runs in Node and in a browser).
 * The Node front end (files, worker threads) lives in src/node/ and the CLI.
 */

export { type KaslrBases, type KaslrOptions, kernelRandomizeMemory } from './arch/x86/kaslr.js';
export { type WalkResult, walk } from './arch/x86/walk.js';
export {
  type BootLog,
  type DiagnoseOptions,
  diagnose,
  imageFacts,
  readBootLog,
} from './diagnose/index.js';
export * from './errors.js';
export * from './firmware/index.js';
/** The crash-style inspector (`hiblab crash`): commands as functions over KernelMemory. */
export * as inspect from './inspect/index.js';
export { crc32, crc32Le } from './lib/crc32.js';
export { lz4Compress, lz4DecompressSafe } from './lib/lz4.js';
export { lzo1xCompress, lzo1xDecompressSafe } from './lib/lzo1x.js';
export {
  type BootE820,
  type BootOptions,
  bootMachine,
  type Machine,
  type SetupArch,
  setupArch,
} from './machine/boot.js';
export { type KernelMemory, KernelMemoryFault, type KernelSymbolInfo } from './machine/kernel-memory.js';
export { kernelMemoryOf, LiveKernelMemory } from './machine/kernel-memory-live.js';
export { type MmCounters, mmCounters } from './machine/state.js';
export { allSymbols, kernelSymbols, symbolPhys, symbolVirt } from './machine/symbols.js';
export { PhysMem } from './mm/phys-mem.js';
export { type ChunkCodec, type CompressorName, getChunkCodec } from './power/compress/compressor.js';
export { type ChunkPool, InlineChunkPool } from './power/compress/pool.js';
export { KernelConsole } from './power/console.js';
export { DUMP_FORMAT, DUMP_VERSION, type DumpParts, encodeDump, makeDump } from './power/dump.js';
export { type LoadedDump, loadDump } from './power/dump-load.js';
export type { EngineEvent, EventSink, Phase } from './power/events.js';
export { type HibernateOptions, type HibernateResult, hibernate } from './power/hibernate.js';
export * as image from './power/image/index.js';
export { formatOops, type Oops } from './power/oops.js';
export { type ResumeOptions, type ResumeResult, softwareResume } from './power/resume.js';
export * from './profiles/index.js';
export {
  fieldPath,
  type StructField,
  type StructLayout,
  type StructTable,
} from './profiles/struct-layout.js';
export { type FieldSpec, off as structOffset, sizeOf as structSize } from './profiles/structs/define.js';
export { STRUCTS_LINUX_310 } from './profiles/structs/linux-3.10.js';
export { STRUCTS_LINUX_612 } from './profiles/structs/linux-6.12.js';
export type { KernelProfile } from './profiles/types.js';
export type { DiagnoseReport } from './report/diagnose.js';
export { diagnoseJson, formatDiagnoseText } from './report/diagnose.js';
export * as report from './report/index.js';
export {
  BUILTINS,
  builtinReader,
  getBuiltin,
  listBuiltins,
  loadScenario,
  openScenarioImage,
  type RealImageInfo,
  resolveBoot,
  resolveE820,
} from './scenario/index.js';
export {
  type PlanIo,
  planScenario,
  type RunIo,
  type RunOptions,
  type RunResult,
  runScenario,
} from './scenario/run.js';
export {
  type BootSpec,
  type ImageSuspendSpec,
  isImageSuspend,
  type Outcome,
  type Scenario,
  type WorkloadGroup,
  type WorkloadSpec,
} from './scenario/types.js';
export { HIBLAB_VERSION } from './version.js';
export { ContentMap } from './workload/content-map.js';
export { WorkloadPlacer } from './workload/place.js';
