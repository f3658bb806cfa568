/**
 * `hiblab scenarios [list|show|check]`: the builtin scenarios, their YAML, and a
 * validator for scenario files. The list and check reports (text and JSON keys)
 * are in src/report/scenarios.ts; `show --json` prints name, file, yaml and
 * scenario (the loaded scenario with every default filled). `check` with a real
 * image as the hibernated state opens the image file and checks its swap
 * header, map and header page.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { e820Crc32, ramPages } from '../../firmware/index.js';
import { readE820Input, readTextInput } from '../../node/files.js';
import { openImageSource } from '../../node/image-file.js';
import {
  type BootCheck,
  type ScenarioCheck,
  type ScenarioListRow,
  scenarioCheckJson,
  scenarioCheckText,
  scenarioListJson,
  scenarioListText,
} from '../../report/scenarios.js';
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

function listAction(io: CliIo, opts: { json?: boolean }): void {
  const rows: ScenarioListRow[] = listBuiltins().map((b) => ({
    name: b.name,
    profile: b.scenario.profile,
    expect: b.scenario.expect?.outcome ?? null,
    description: b.scenario.description ?? '',
    file: b.path,
  }));
  io.out(opts.json ? scenarioListJson(rows) : scenarioListText(rows));
}

function bootCheck(r: ResolvedBoot): BootCheck {
  return {
    profile: r.profile.id,
    source: r.label,
    origin: r.parsed.origin,
    firmwareEntries: r.kernel.firmware.length,
    kernelEntries: r.kernel.kernel.length,
    crc32: e820Crc32(r.kernel.firmware),
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
      let image: ScenarioCheck['image'];
      let suspend: BootCheck | null = null;
      if (isImageSuspend(sc.suspend)) {
        // The hibernated state is a real image: check that file is one, and the resume boot.
        const img = openScenarioImage(sc, { baseDir, openImage: openImageSource });
        img.src.close?.();
        const i = img.info;
        image = {
          path: i.path,
          format: i.format,
          compressor: i.compressor,
          flags: i.flags,
          nrCopyPages: i.nrCopyPages,
          nrMetaPages: i.nrMetaPages,
          nrZeroPages: i.nrZeroPages,
          pages: i.pages,
          numPhyspages: i.numPhyspages,
          e820Checksum: i.e820Checksum,
        };
      } else {
        suspend = bootCheck(resolveBoot(sc, 'suspend', { readFile, baseDir }));
      }
      const check: ScenarioCheck = {
        file,
        name: sc.name,
        profile: sc.profile,
        expect: sc.expect?.outcome ?? null,
        scenario: sc,
        suspend,
        resume: bootCheck(resolveBoot(sc, 'resume', { readFile, baseDir })),
        ...(image ? { image } : {}),
      };
      io.out(opts.json ? scenarioCheckJson(check) : scenarioCheckText(check));
    });
}
