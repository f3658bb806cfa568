/**
 * `suspend: { image: FILE }`: a real swap image as a scenario's hibernated
 * state. Opens the file through the run's injected opener (RunIo.openImage:
 * a ReadSource, read page by page, never whole), checks that it holds a
 * hibernation image (swap page 0 with "S1SUSPEND", the swap map, the header
 * page — what ImageReader.open() checks), and describes it for the run
 * report. Errors name the scenario file and the line/column of `image:`.
 * Platform neutral: the caller supplies the opener.
 */
import { HiblabError, ScenarioError } from '../errors.js';
import { ImageReader } from '../power/image/reader.js';
import type { ReadSource } from '../power/image/source.js';
import { describeRealImage, type RealImageInfo } from '../power/image/summary.js';
import { joinPath } from './resolve.js';
import { isImageSuspend, type Scenario } from './types.js';

/** A real image file opened for reading; close() when the run is done. */
export interface ImageFile extends ReadSource {
  close?(): void;
}

export type { RealImageInfo };

/** Opens a swap image by path (baseDir already joined); Node: src/node/image-file.ts openImageSource. */
export type ImageOpener = (path: string) => ImageFile;

/** The opened image of an image scenario: the source the resume reads and its description. */
export interface OpenedImage {
  src: ImageFile;
  info: RealImageInfo;
}

/** Where `suspend.image` is written, for errors about the file. */
function imageLoc(sc: Scenario) {
  const file = sc.source?.file ?? sc.name;
  const at = sc.source?.image;
  return at ? { file, line: at.line, column: at.column } : { file };
}

/**
 * Open and check an image scenario's image. Throws ScenarioError
 * IMAGE_FILE_UNREADABLE (no such file, a directory, …) or NOT_AN_IMAGE (the
 * file holds no hibernation image, or its swap map / header page are
 * broken), at the `image:` value of the scenario file.
 */
export function openScenarioImage(
  sc: Scenario,
  io: { baseDir: string; openImage?: ImageOpener },
): OpenedImage {
  if (!isImageSuspend(sc.suspend))
    throw new ScenarioError('SCENARIO_NO_IMAGE', `${sc.name}: the scenario has no suspend.image`);
  const path = joinPath(io.baseDir, sc.suspend.image);
  if (!io.openImage) {
    throw new ScenarioError(
      'IMAGE_NO_OPENER',
      `suspend.image: this run cannot open files (RunIo.openImage is not given); '${path}' is needed`,
      imageLoc(sc),
    );
  }
  let src: ImageFile;
  try {
    src = io.openImage(path);
  } catch (e) {
    const why = e instanceof HiblabError ? e.message : (e as Error).message;
    throw new ScenarioError('IMAGE_FILE_UNREADABLE', `suspend.image: '${path}': ${why}`, imageLoc(sc));
  }
  let reader: ImageReader;
  try {
    reader = ImageReader.open(src);
  } catch (e) {
    src.close?.();
    if (!(e instanceof HiblabError)) throw e;
    const off = e.location.offset;
    throw new ScenarioError(
      'NOT_AN_IMAGE',
      `suspend.image: '${path}' is not a hibernation image: ${e.message}${off === undefined ? '' : ` (at byte 0x${off.toString(16)})`}`,
      imageLoc(sc),
    );
  }
  return { src, info: describeRealImage(reader, path) };
}
