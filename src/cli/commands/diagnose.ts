/**
 * `hiblab diagnose SUSPEND.log [RESUME.log] [--image SWAP] [--profile P]
 * [--boot N] [--resume-boot M] [--json]`: from the log of the boot that
 * hibernated and the log of the boot that resumed (and optionally the real
 * image) to a verdict per kernel profile with the chain of the kernel's
 * checks (src/diagnose/, text and JSON in src/report/diagnose.ts).
 *
 * Boots: SUSPEND.log boot --boot (default 0); the resume boot is RESUME.log
 * boot --resume-boot (default 0) or, with one log, boot --resume-boot of
 * that log (default: the boot after the suspend boot).
 * Exit: 0 when every case resumes cleanly, 1 otherwise, 2 on bad input.
 *
 * JSON keys (stable):
 *   suspend, resume: {file, boot, boots, source, origin, release, cmdline,
 *     firmware[] {addr,size,end,type,typeName}, crc32, kernel[] (same), userDefined,
 *     memOptions[], loggedEdits[], hibernation[] {line,text},
 *     observed {kind,detail,line,errno?,mismatch?,address?,function?} | null,
 *     pagesCopied, zeroPages, compressed, notes[]}
 *   image: {file, archHeader, e820Checksum, numPhyspages, imagePages, pfns, zeroPfns, compressor} | null
 *   firmwareDiff: {identical, added[], removed[], changed[{a,b}],
 *     pages[{startPfn,endPfn,pages,from,to}], ramPages{suspend,resume}, crcDiffers}
 *   kernelDiff: {identical, pages[]}
 *   cases[]: {label, suspendProfile, resumeProfile,
 *     verdict: refused|efault|oops|hang|silent-overwrite|resumes, certainty: certain|likely|possible,
 *     summary, messages[],
 *     checks[] {id: arch-header|e820-crc32|num-physpages|zero-pfn-flag|unpack-orig-pfns|load-in-place|restore-image,
 *               kernel, result: pass|fail|absent|risk|not-reached, detail, messages[]},
 *     pfns[] {startPfn, endPfn (exclusive), pages, suspendType, resumeType, suspendUse: kernel|usable,
 *             mapped, nosave, inBitmap, walk, effect, how: cpu|dma|restore|unpack, certainty, inImage, why},
 *     likelihood, fixes[] {id: usable-ram-crc32|per-pfn-check, decision: refuse|accept|accept-unless, detail},
 *     notes[]}
 *   notes[]
 */
import type { Command } from 'commander';
import { type BootLog, diagnose, imageFacts, readBootLog } from '../../diagnose/index.js';
import { UsageError } from '../../errors.js';
import { readInput } from '../../node/files.js';
import { openImageFile } from '../../node/image-file.js';
import { diagnoseJson, formatDiagnoseText } from '../../report/diagnose.js';
import { type CliIo, toJson } from '../io.js';

interface DiagnoseCliOptions {
  image?: string;
  profile: string;
  boot?: string;
  resumeBoot?: string;
  json?: boolean;
}

function bootIndex(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new UsageError('BAD_OPTION', `${flag} expects a boot index (0, 1, …), got '${text}'`);
  return Number(text);
}

function readImage(path: string): ReturnType<typeof imageFacts> {
  const { src, reader } = openImageFile(path);
  try {
    return imageFacts(reader, path);
  } finally {
    src.close();
  }
}

export function register(program: Command, io: CliIo): void {
  program
    .command('diagnose')
    .description(
      'Why did (or would) a resume from hibernation fail? Reads the e820 tables, kernel versions, command lines and PM lines of the boot that hibernated and the boot that resumed, and gives per kernel profile a verdict with the chain of checks (exit 0 when every case resumes, 1 otherwise)',
    )
    .argument(
      '<suspend-log>',
      'log of the boot that wrote the image (dmesg, journalctl -k, serial console, or any e820 input)',
    )
    .argument('[resume-log]', 'log of the boot that resumed (default: the next boot of <suspend-log>)')
    .option(
      '--image <swap>',
      'the real hibernation image (swap device copy): its pfn list, header checksums and flags',
    )
    .option(
      '--profile <p>',
      'auto (from the "Linux version" lines), all, or a profile id (linux-3.10, linux-6.12, …)',
      'auto',
    )
    .option('--boot <n>', 'boot index of the suspend boot in <suspend-log> (0-based, default 0)')
    .option(
      '--resume-boot <n>',
      'boot index of the resume boot: in [resume-log] (default 0), or in <suspend-log> when it is the only log (default: the boot after --boot)',
    )
    .option('--json', 'print JSON with stable keys instead of text')
    .action((suspendFile: string, resumeFile: string | undefined, opts: DiagnoseCliOptions) => {
      const sIdx = bootIndex('--boot', opts.boot) ?? 0;
      const rIdx = bootIndex('--resume-boot', opts.resumeBoot);
      const sBytes = readInput(suspendFile);
      const suspend: BootLog = readBootLog(sBytes, suspendFile, sIdx);
      let resume: BootLog;
      if (resumeFile === undefined) {
        // An explicit --resume-boot past the end is the parser's E820_BOOT_RANGE.
        if (rIdx === undefined && sIdx + 1 >= suspend.boots) {
          throw new UsageError(
            'DIAGNOSE_NO_RESUME_BOOT',
            `${suspend.boots} boot(s) with an e820 table and no boot after boot ${sIdx}: give the resume boot's log as a second file, or --resume-boot N`,
            { file: suspendFile },
          );
        }
        resume = readBootLog(sBytes, suspendFile, rIdx ?? sIdx + 1);
      } else {
        resume = readBootLog(readInput(resumeFile), resumeFile, rIdx ?? 0);
      }
      const image = opts.image === undefined ? undefined : readImage(opts.image);
      const report = diagnose({ suspend, resume, profile: opts.profile, ...(image ? { image } : {}) });
      io.exitCode = report.cases.every((c) => c.verdict === 'resumes') ? 0 : 1;
      io.out(opts.json ? toJson(diagnoseJson(report)) : formatDiagnoseText(report));
    });
}
