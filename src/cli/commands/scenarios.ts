/**
 * `hiblab scenarios [list|show|check]`: the builtin scenarios, their YAML, and a
 * validator for scenario files.
 *
 * JSON keys (stable):
 *   list:  scenarios[{name, profile, expect, description, file}]   (expect = outcome or null)
 *   show:  name, file, yaml, scenario (the loaded scenario with every default filled)
 *   check: file, name, valid (true), scenario, boots{suspend, resume} each
 *          {profile, source, origin, firmwareEntries, kernelEntries, crc32, ramPages};
 *          with suspend.image: boots.suspend is null and image {path, format, compressor,
 *          flags, nrCopyPages, nrMetaPages, nrZeroPages, pages, numPhyspages, e820Checksum}
 *          (the image file is opened and its swap header, map and header page checked)
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { e820Crc32, ramPages } from '../../firmware/index.js';
import { readE820Input, readTextInput } from '../../node/files.js';
import { openImageSource } from '../../node/image-file.js';
import { openScenarioImage } from '../../scenario/image-suspend.js';
import {
  BUILTIN_BASE_DIR,
  BUILTINS,
  builtinReader,
  dirName,
  getBuiltinEntry,
  isBuiltin,
  isImageSuspend,
  listBuiltins,
  loadScenario,
  type ResolvedBoot,
  resolveBoot,
  SCENARIO_MAX_BYTES,
  type Scenario,
} from '../../scenario/index.js';
import { type CliIo, toJson } from '../io.js';

const crcHex = (c: number): string => `0x${c.toString(16).padStart(8, '0')}`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function listAction(io: CliIo, opts: { json?: boolean }): void {
  const all = listBuiltins();
  if (opts.json) {
    io.out(
      toJson({
        scenarios: all.map((b) => ({
          name: b.name,
          profile: b.scenario.profile,
          expect: b.scenario.expect?.outcome ?? null,
          description: b.scenario.description ?? '',
          file: b.path,
        })),
      }),
    );
    return;
  }
  const rows = [['NAME', 'PROFILE', 'EXPECT', 'DESCRIPTION']];
  for (const b of all) {
    rows.push([b.name, b.scenario.profile, b.scenario.expect?.outcome ?? '-', b.scenario.description ?? '']);
  }
  io.out(
    `${table(rows)}\n\nSee one with \`hiblab scenarios show <name>\`; validate your own with \`hiblab scenarios check <file.yaml>\`.\n`,
  );
}

function bootJson(r: ResolvedBoot) {
  return {
    profile: r.profile.id,
    source: r.label,
    origin: r.parsed.origin,
    firmwareEntries: r.kernel.firmware.length,
    kernelEntries: r.kernel.kernel.length,
    crc32: crcHex(e820Crc32(r.kernel.firmware)),
    ramPages: Number(ramPages(r.kernel.kernel)),
  };
}

export function register(program: Command, io: CliIo): void {
  const cmd = program
    .command('scenarios')
    .description('list the builtin scenarios (name, kernel profile, expected outcome, description)')
    .option('--json', 'print JSON with stable keys instead of text')
    .action((opts: { json?: boolean }) => listAction(io, opts));

  cmd
    .command('list')
    .description('list the builtin scenarios (the same as `hiblab scenarios`)')
    .option('--json', 'print JSON with stable keys instead of text')
    .action((_opts: unknown, c: Command) => listAction(io, c.optsWithGlobals()));

  cmd
    .command('show')
    .description(
      'print the YAML of a builtin scenario (with --json: also the loaded scenario, defaults filled)',
    )
    .argument('<name>', `builtin scenario name (${BUILTINS.map((b) => b.name).join(', ')})`)
    .option('--json', 'print JSON with stable keys instead of the YAML')
    .action((name: string, _opts: unknown, c: Command) => {
      // --json may be taken by the parent `scenarios` command: read both levels.
      const opts = c.optsWithGlobals<{ json?: boolean }>();
      const b = getBuiltinEntry(name);
      if (opts.json) {
        io.out(toJson({ name: b.name, file: b.path, yaml: b.yaml, scenario: b.scenario }));
        return;
      }
      io.out(b.yaml.endsWith('\n') ? b.yaml : `${b.yaml}\n`);
    });

  cmd
    .command('check')
    .description(
      'validate a scenario YAML file (or a builtin name): load it, fill the defaults, read and build both boots e820 tables',
    )
    .argument('<file>', 'scenario YAML file, or a builtin scenario name')
    .option('--json', 'print JSON with stable keys instead of text')
    .action((file: string, _opts: unknown, c: Command) => {
      const opts = c.optsWithGlobals<{ json?: boolean }>();
      let sc: Scenario;
      let baseDir: string;
      let readFile: (p: string) => string | Uint8Array;
      if (isBuiltin(file)) {
        sc = getBuiltinEntry(file).scenario;
        baseDir = BUILTIN_BASE_DIR;
        readFile = builtinReader;
      } else {
        if (!/\.ya?ml$/i.test(file)) {
          throw new UsageError(
            'BAD_ARGUMENT',
            `expected a .yaml/.yml file or a builtin scenario name, got '${file}'`,
          );
        }
        sc = loadScenario(readTextInput(file, SCENARIO_MAX_BYTES, 'SCENARIO_TOO_LARGE'), file);
        baseDir = dirName(file);
        readFile = readE820Input;
      }
      if (isImageSuspend(sc.suspend)) {
        // The hibernated state is a real image: check that file is one, and the resume boot.
        const img = openScenarioImage(sc, { baseDir, openImage: openImageSource });
        img.src.close?.();
        const i = img.info;
        const resume = bootJson(resolveBoot(sc, 'resume', { readFile, baseDir }));
        const e820 = i.e820Checksum === null ? null : crcHex(i.e820Checksum);
        if (opts.json) {
          const image = {
            path: i.path,
            format: i.format,
            compressor: i.compressor,
            flags: i.flags,
            nrCopyPages: i.nrCopyPages,
            nrMetaPages: i.nrMetaPages,
            nrZeroPages: i.nrZeroPages,
            pages: i.pages,
            numPhyspages: i.numPhyspages,
            e820Checksum: e820,
          };
          io.out(
            toJson({
              file,
              name: sc.name,
              valid: true,
              scenario: sc,
              boots: { suspend: null, resume },
              image,
            }),
          );
          return;
        }
        io.out(
          `${[
            `${file}: scenario '${sc.name}' is valid (real image, expect ${sc.expect?.outcome ?? '-'})`,
            `  suspend: the real image ${i.path}: ${i.format}; ${i.compressor}, ${i.nrCopyPages} image pages, ${i.pages} pages in all${e820 ? `, e820 CRC32 ${e820}` : ''}`,
            `  resume: ${resume.profile}, ${resume.source} (${resume.origin}), ${resume.firmwareEntries} firmware / ${resume.kernelEntries} kernel entries, e820 CRC32 ${resume.crc32}, ${resume.ramPages} RAM pages`,
          ].join('\n')}\n`,
        );
        return;
      }
      const boots = {
        suspend: resolveBoot(sc, 'suspend', { readFile, baseDir }),
        resume: resolveBoot(sc, 'resume', { readFile, baseDir }),
      };
      if (opts.json) {
        io.out(
          toJson({
            file,
            name: sc.name,
            valid: true,
            scenario: sc,
            boots: { suspend: bootJson(boots.suspend), resume: bootJson(boots.resume) },
          }),
        );
        return;
      }
      const out = [
        `${file}: scenario '${sc.name}' is valid (${sc.profile}, expect ${sc.expect?.outcome ?? '-'})`,
      ];
      for (const w of ['suspend', 'resume'] as const) {
        const j = bootJson(boots[w]);
        out.push(
          `  ${w}: ${j.profile}, ${j.source} (${j.origin}), ${j.firmwareEntries} firmware / ${j.kernelEntries} kernel entries, e820 CRC32 ${j.crc32}, ${j.ramPages} RAM pages`,
        );
      }
      io.out(`${out.join('\n')}\n`);
    });
}
