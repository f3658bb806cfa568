/**
 * From a scenario's e820 source to the kernel's tables: read the file through
 * an injected reader (the Node front end passes fs; builtins read the bundled
 * data/ files), pick the boot, run buildKernelE820(). Platform neutral.
 *
 * `data:<path>` names a file under the repository's data/ directory and is
 * always read from the bundle (builtinReader), whatever ctx.readFile does, so
 * user scenarios can reuse the shipped tables.
 */
import { FormatError, HiblabError, ParseError, ScenarioError, UsageError } from '../errors.js';
import { buildKernelE820, type KernelE820, type ParsedE820, parseE820Boot } from '../firmware/index.js';
import { getProfile, type KernelProfile, profileIdForRelease } from '../profiles/index.js';
import { builtinReader, DATA_PREFIX } from './builtin-reader.js';
import { AUTO_PROFILE, type BootSpec, type E820Source, modelledSuspend, type Scenario } from './types.js';

export type FileReader = (path: string) => string | Uint8Array;

export interface ResolveContext {
  /** Reads a file by path (baseDir already joined). Not called for `data:` paths. */
  readFile: FileReader;
  /** Directory of the scenario file; relative `file:` paths are joined to it. */
  baseDir: string;
  profile: KernelProfile;
  /** Command line whose memmap=/mem= apply; default: the log's own "Command line:". */
  cmdline?: string;
  /** For messages: the scenario file and which boot ('suspend' / 'resume'). */
  scenarioFile?: string;
  which?: string;
}

export interface ResolvedE820 {
  parsed: ParsedE820;
  kernel: KernelE820;
  /** Human name of the source: `data:e820/x.txt boot 0`, `path/log.txt boot 1`, `inline boot 0`. */
  label: string;
}

/** Join a relative path to a directory, '/' separated, collapsing `.` and `dir/..`. */
export function joinPath(baseDir: string, rel: string): string {
  const absolute = rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel);
  const full =
    absolute || baseDir === '' || baseDir === '.' ? rel : `${baseDir.replace(/[\\/]+$/, '')}/${rel}`;
  const lead = full.startsWith('/') ? '/' : '';
  const out: string[] = [];
  for (const part of full.split(/[\\/]+/)) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (part === '..' && lead) continue;
    else out.push(part);
  }
  return lead + out.join('/') || '.';
}

/** Directory part of a path ('' when none). */
export function dirName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? '' : i === 0 ? '/' : path.slice(0, i);
}

/** The same error with a note on which scenario source it came from. */
function withContext(e: unknown, note: string): never {
  for (const Cls of [ParseError, FormatError, ScenarioError, UsageError]) {
    if (e instanceof Cls) throw new Cls(e.code, `${e.message} (${note})`, e.location, e.exitCode);
  }
  throw e;
}

/** The bytes of one e820 source (inline text, a data: file or a file by path) and its name for messages. */
function readE820Source(
  src: E820Source,
  ctx: Pick<ResolveContext, 'readFile' | 'baseDir' | 'scenarioFile' | 'which'>,
): { input: string | Uint8Array; name: string } {
  const where = `${ctx.which ? `${ctx.which}.` : ''}e820`;
  const scen = ctx.scenarioFile ?? 'scenario';
  let input: string | Uint8Array;
  let name: string;
  if (src.inline !== undefined) {
    input = src.inline;
    name = `${scen} (${where}.inline)`;
  } else if (src.file !== undefined) {
    const isData = src.file.startsWith(DATA_PREFIX);
    name = isData ? src.file : joinPath(ctx.baseDir, src.file);
    try {
      input = isData ? builtinReader(src.file) : ctx.readFile(name);
    } catch (e) {
      // A data: name the bundle does not have is the scenario's error: name the scenario file.
      if (e instanceof HiblabError) withContext(e.withFile(scen), `${where}.file of ${scen}`);
      throw new ScenarioError(
        'E820_FILE_UNREADABLE',
        `${where}.file: cannot read '${name}': ${(e as Error).message}`,
        { file: scen },
      );
    }
  } else {
    throw new ScenarioError('SCENARIO_MISSING', `${where}: no 'file' or 'inline' source`, { file: scen });
  }
  return { input, name };
}

/**
 * The kernel a log shows: the profile of its first `Linux version <release>`
 * line (profileIdForRelease: version, and the tiny build by its release
 * suffix), else linux-6.12. `hiblab resume` and an image scenario's resume boot
 * without a profile pick their kernel this way.
 */
export function profileForLog(text: string | Uint8Array): KernelProfile {
  const s = typeof text === 'string' ? text : new TextDecoder('latin1').decode(text.subarray(0, 1 << 20));
  const rel = /Linux version (\S+)/.exec(s)?.[1];
  return getProfile((rel ? profileIdForRelease(rel) : undefined) ?? 'linux-6.12');
}

/** Parse and build the kernel tables for one e820 source. */
export function resolveE820(src: E820Source, ctx: ResolveContext): ResolvedE820 {
  const where = `${ctx.which ? `${ctx.which}.` : ''}e820`;
  const scen = ctx.scenarioFile ?? 'scenario';
  const { input, name } = readE820Source(src, ctx);
  let parsed: ParsedE820;
  const i = src.boot ?? 0;
  try {
    parsed = parseE820Boot(input, name, i).parsed;
  } catch (e) {
    if (e instanceof HiblabError && e.code === 'E820_BOOT_RANGE')
      throw new ScenarioError(e.code, `${where}.boot: ${e.message} (${name})`, { file: scen });
    return withContext(e, `${where} of ${scen}`);
  }
  let kernel: KernelE820;
  try {
    kernel = buildKernelE820(parsed, ctx.profile, ctx.cmdline);
  } catch (e) {
    return withContext(e, `${where} of ${scen}`);
  }
  const label = `${src.inline !== undefined ? 'inline' : name} boot ${i}`;
  return { parsed, kernel, label };
}

export interface ResolvedBoot extends ResolvedE820 {
  profile: KernelProfile;
}

/** Resolve one boot of a loaded scenario with its own profile and cmdline. */
export function resolveBoot(
  sc: Scenario,
  which: 'suspend' | 'resume',
  io: { readFile: FileReader; baseDir: string },
): ResolvedBoot {
  const boot: BootSpec = which === 'suspend' ? modelledSuspend(sc) : sc.resume;
  const id = boot.profile ?? sc.profile;
  const base = {
    readFile: io.readFile,
    baseDir: io.baseDir,
    which,
    scenarioFile: sc.source?.file ?? sc.name,
  };
  let readFile = io.readFile;
  let profile: KernelProfile;
  if (id === AUTO_PROFILE) {
    // An image scenario's resume boot without a profile: the kernel its log names. The
    // source is read once; resolveE820 below gets the same bytes.
    const { input } = readE820Source(boot.e820, base);
    profile = profileForLog(input);
    readFile = () => input;
  } else profile = getProfile(id);
  const ctx: ResolveContext = { ...base, readFile, profile };
  if (boot.cmdline !== undefined) ctx.cmdline = boot.cmdline;
  return { ...resolveE820(boot.e820, ctx), profile };
}
