/** The hibernation image on disk: format modules, writer, reader, e820 acceptance check. */
export { checkImageAgainstE820, type E820CheckResult, e820EndOfRamPfn } from './e820-check.js';
export { FORMAT_ERAS, type FormatEraRules, type ImageFormatEra } from './format-era.js';
export {
  type Clock,
  kernelThreads,
  type LogSink,
  ProgressPrinter,
  type ProgressSink,
  speedLine,
  threadsLine,
} from './log.js';
export {
  checkPfnList,
  MetaDecoder,
  MetaList,
  nrMetaPages,
  type PfnArrays,
  type PfnList,
  packMetaPage,
  toPfnRuns,
} from './meta.js';
export { decodeMkswapHeader, type MkswapHeader, makeMkswapPage } from './mkswap-header.js';
export { isZeroPage, PAGE_SIZE } from './page.js';
export { imagePfnRuns, PfnRuns, ZeroFlags } from './pfn-runs.js';
export {
  type ChunkInfo,
  ImageReader,
  type OpenImageOptions,
  type PageOut,
  type ReadOptions,
  type VerifyReport,
} from './reader.js';
export { type BlockSink, MemoryDevice, MemorySource, type ReadSource } from './source.js';
export { type ImageSummary, summarizeImage } from './summary.js';
export { encodeMapPage, MAP_PAGE_ENTRIES, type SwapMap, walkSwapMap } from './swap-map.js';
export {
  decodeSwsuspHeader,
  flagNames,
  HIBERNATE_SIG,
  markSwapfiles,
  SF,
  type SwsuspHeader,
} from './swsusp-header.js';
export {
  type ArchEra,
  type ArchHeader,
  type ArchHeaderInput,
  decodeSwsuspInfo,
  encodeSwsuspInfo,
  RESTORE_MAGIC,
  type SwsuspInfo,
} from './swsusp-info.js';
export {
  PAGES_FOR_IO,
  type PageRecord,
  type WriteImageOptions,
  type WriteImageResult,
  writeImage,
} from './writer.js';
