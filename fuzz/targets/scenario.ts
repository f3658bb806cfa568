/**
 * Scenario YAML → loadScenario() (syntax, every key, every range), and for
 * inputs that load and are small, the resolve step `scenarios check` runs:
 * both boots' e820 sources read (data: files from the bundle, relative paths
 * from the repository's data/ directory, bounded) and built into kernel tables.
 * Running the scenario (minutes of model time) is left to the CLI check in
 * test/fuzz/cli-hostile.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { openScenarioImage } from '../../src/scenario/image-suspend.js';
import { builtinReader, isImageSuspend, loadScenario, resolveBoot } from '../../src/scenario/index.js';
import { REPO_ROOT } from '../../test/helpers/fixtures.js';
import { filesUnder, readBytes } from '../lib/corpus.js';
import { FUZZ_FILE, type FuzzTarget } from '../lib/types.js';

const DATA = join(REPO_ROOT, 'data');

/** Files a fuzzed scenario may name: the repo's data/e820 logs, read once. */
const files = new Map<string, Uint8Array>();
function readFile(path: string): Uint8Array {
  const hit = files.get(path);
  if (hit) return hit;
  // Relative paths are joined to the scenario's directory (data/examples here).
  if (/^data\/e820\/[A-Za-z0-9._-]+\.txt$/.test(path.replace(/^(\.\.\/)+/, 'data/'))) {
    try {
      const b = new Uint8Array(readFileSync(join(REPO_ROOT, path.replace(/^(\.\.\/)+/, 'data/'))));
      files.set(path, b);
      return b;
    } catch {
      /* fall through */
    }
  }
  throw new UsageError('INPUT_UNREADABLE', 'cannot read: ENOENT', { file: path });
}

export const scenario: FuzzTarget = {
  name: 'scenario',
  description:
    'scenario YAML → loadScenario → (small inputs) resolveBoot of both boots, as `scenarios check`',
  seeds: () =>
    [
      ...filesUnder(join(DATA, 'scenarios'), /\.ya?ml$/),
      ...filesUnder(join(DATA, 'examples'), /\.ya?ml$/),
    ].map(readBytes),
  dictionary: [
    'name: x\n',
    'profile: linux-3.10\n',
    'pages: 1099511627776',
    'size: 16E',
    'size: 4P',
    "frames: ['0-0xfffffffffe']",
    'e820: { file: data:e820/qemu-pc-384m.txt }',
    'e820: { inline: "BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] usable" }',
    'kaslr: { pageOffsetBase: 0xffff888000000000, vmemmapBase: 0xffffea0000000000 }',
    'cmdline: memmap=16E!0 mem=1',
    '&a ',
    '*a',
    '<<: *a',
    '!!binary ',
    // HMM stories (load-hmm.ts)
    'hmm:\n  processes:\n    - name: p\n      mappings: [ { name: m, size: 4K } ]\n  steps:\n    - { read: m }\n',
    '    - { write: m, u32: 0xffffffff, offset: 4092 }\n',
    '    - { migrate: m, to: device, device: 1 }\n',
    '    - { pagemap: m, page: 0, process: 0 }\n',
    '    - hibernate: {}\n',
    'driver: { faultOwner: "&dmirror_device", deviceMemory: device, freeze: evict }',
    // A real image as the hibernated state (image-suspend.ts): no profile, no hibernate/hmm keys
    'suspend: { image: swap.img }\n',
    'suspend:\n  image: ../swap.img\n  workload: {}\n',
    'image: data:x.img',
    'image: /dev/zero',
    'faults: { noTempPageTables: true, cpaSplitFails: true }',
    'size: 64M',
    '{ ',
    '- ',
    '  ',
    '\t',
    '? ',
    '---\n',
    '...\n',
  ],
  maxBytes: 128 << 10,
  errorsNameFile: true,
  timeLimitMs: 15_000, // the yaml library reads ~25-100 KB/s; inputs go to 128 KiB
  run(input) {
    const text = new TextDecoder().decode(input);
    const sc = loadScenario(text, FUZZ_FILE);
    if (input.length > 16 << 10) return sc;
    // data: names come from the bundle; other paths from the repo's data/ only.
    const io = {
      readFile: (p: string) => (p.startsWith('data:') ? builtinReader(p) : readFile(p)),
      baseDir: 'data/examples',
    };
    if (isImageSuspend(sc.suspend)) {
      // A real image as the hibernated state: the resume boot, then the image file as
      // `scenarios check` opens it (the fuzzer has no images: a clean unreadable-file error).
      resolveBoot(sc, 'resume', io);
      openScenarioImage(sc, {
        baseDir: io.baseDir,
        openImage: (p) => {
          throw new UsageError('INPUT_UNREADABLE', 'cannot open: ENOENT', { file: p });
        },
      });
      return sc;
    }
    resolveBoot(sc, 'suspend', io);
    resolveBoot(sc, 'resume', io);
    return sc;
  },
};
