/**
 * `hiblab resume <image> --e820 <log> [--cmdline "…"] [--profile id] [--boot N] [--via initcall|sysfs] [--json]
 *  [--max-ram SIZE] [--max-mem SIZE] [--threads N]`:
 * resume a real swap image (a raw copy of the swap device) on a modelled boot
 * and say what that kernel does: resumed, refused (which message), oops
 * (function, faulting address, pfn), a silent write into a frame the boot
 * kernel reserved, or -EFAULT with the Firmware Bug line. The image file is
 * never written (the signature reset goes to an in-memory overlay).
 *
 * JSON keys (stable): see src/report/resume.ts.
 * Exit: 0 when the kernel resumes the image, 1 otherwise, 2 for bad input.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { defaultHostThreads, NodeChunkPool } from '../../node/compress-pool.js';
import { readInput } from '../../node/files.js';
import { FileSource } from '../../node/image-file.js';
import { type ResumeReport, resumeJson, resumeText } from '../../report/resume.js';
import { resumeImage } from '../../scenario/resume-image.js';
import { type CliIo, toJson } from '../io.js';
import { MAX_MEM_HELP, MAX_RAM_HELP, parseMaxMem, parseMaxRam } from '../limits.js';

interface ResumeOpts {
  e820: string;
  cmdline?: string;
  profile?: string;
  boot?: string;
  via?: string;
  json?: boolean;
  maxRam?: string;
  maxMem?: string;
  threads?: string;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('resume')
    .description(
      'resume a real swap image on a modelled boot (firmware map + cmdline of a log): resumed, refused, oops, silent write, -EFAULT',
    )
    .argument('<image>', 'a raw copy of the swap device holding the image')
    .requiredOption(
      '--e820 <file>',
      'boot log of the resuming machine (its BIOS-e820 table and Command line)',
    )
    .option('--cmdline <text>', "resume kernel command line (default: the log's own Command line)")
    .option(
      '--profile <id>',
      "kernel profile, e.g. linux-6.12, linux-6.1/tiny (default: from the log's Linux version)",
    )
    .option('--boot <n>', 'which boot of a multi-boot log (0-based; default the last)')
    .option(
      '--via <how>',
      'initcall (resume= built in, default) or sysfs (initramfs writes /sys/power/resume)',
    )
    .option('--json', 'print JSON with stable keys instead of text')
    .option(
      '--threads <n>',
      "host worker threads that decompress the image (default: one per CPU, at most 3; the modelled kernel's own thread count and the output do not change)",
    )
    .option('--max-ram <size>', MAX_RAM_HELP)
    .option('--max-mem <size>', MAX_MEM_HELP)
    .action(async (imagePath: string, opts: ResumeOpts) => {
      const via = opts.via ?? 'initcall';
      if (via !== 'initcall' && via !== 'sysfs')
        throw new UsageError('BAD_ARGUMENT', `--via expects initcall or sysfs, got '${opts.via}'`);
      const boot = opts.boot === undefined ? undefined : Number(opts.boot);
      if (boot !== undefined && !(Number.isInteger(boot) && boot >= 0))
        throw new UsageError('BOOT_INVALID', `--boot ${opts.boot}: expected a boot index 0, 1, …`);
      const maxModelBytes = opts.maxRam === undefined ? undefined : parseMaxRam(opts.maxRam);
      const maxHostBytes = opts.maxMem === undefined ? undefined : parseMaxMem(opts.maxMem);
      const threads = opts.threads === undefined ? defaultHostThreads() : Number(opts.threads);
      if (!(Number.isInteger(threads) && threads >= 1 && threads <= 16))
        throw new UsageError('BAD_ARGUMENT', `--threads expects 1..16, got '${opts.threads}'`);
      const text = readInput(opts.e820);
      const src = new FileSource(imagePath);
      const pool = new NodeChunkPool({ threads });
      try {
        const r = await resumeImage(src, {
          e820: { text, name: opts.e820, ...(boot !== undefined ? { boot } : {}) },
          ...(opts.cmdline !== undefined ? { cmdline: opts.cmdline } : {}),
          ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
          via,
          pool,
          imageName: imagePath,
          ...(maxModelBytes !== undefined ? { maxModelBytes } : {}),
          ...(maxHostBytes !== undefined ? { maxHostBytes } : {}),
        });
        const res = r.result;
        const oops = res.oops;
        const pfn = oops ? r.machine.virtToPhys(oops.address) : undefined;
        io.exitCode = res.outcome === 'resumed' ? 0 : 1;
        const report: ResumeReport = {
          image: imagePath,
          e820File: opts.e820,
          boot: boot ?? null,
          profileId: r.profile.id,
          cmdline: opts.cmdline ?? null,
          via,
          result: res,
          faultPaddr: pfn,
          messages: r.messages,
          console: r.console,
        };
        io.out(opts.json ? toJson(resumeJson(report)) : resumeText(report));
      } finally {
        await pool.close();
        src.close();
      }
    });
}
