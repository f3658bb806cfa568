/**
 * loadScenario(): scenario YAML → validated, defaulted `Scenario`.
 *
 * The YAML is read with `parseDocument` + `LineCounter` and walked node by
 * node (never through toJS), so every error names file:line:column of the
 * offending key or value. Rules (docs/scenarios.md has the user's view):
 *   - unknown keys are errors, with a "did you mean" hint;
 *   - integers may be written as YAML ints or as "0x…"/decimal strings;
 *     sizes as bytes or memparse strings ("800M", "2G");
 *   - defaults are filled (see types.ts), so consumers need no fallback logic.
 * Platform neutral: text in, object out; files are resolve.ts's business.
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
  type Document as YamlDocument,
} from 'yaml';
import { ParseError, ScenarioError } from '../errors.js';
import { memparse, splitCmdline } from '../firmware/cmdline.js';
import { getProfile, PROFILE_IDS } from '../profiles/index.js';
import { Prng } from '../util/prng.js';
import { hint } from './did-you-mean.js';
import { HMM_KEYS, readHmm } from './load-hmm.js';
import {
  AUTO_PROFILE,
  type BootSpec,
  type Compressor,
  type ContentWeights,
  DEFAULT_CONTENTS,
  type E820Source,
  type ExpectSpec,
  type FaultSpec,
  type HibernateSpec,
  type ImageSuspendSpec,
  type KaslrSpec,
  OUTCOMES,
  type Scenario,
  WORKLOAD_KINDS,
  WORKLOAD_PLACEMENTS,
  WORKLOAD_ZONES,
  type WorkloadGroup,
  type WorkloadSpec,
} from './types.js';

/** Largest scenario text accepted (a scenario is a page of YAML; inline e820 tables are small). */
export const SCENARIO_MAX_BYTES = 1 << 20;
/** Bounds on lists, so a hostile file cannot make the engine loop for ever. */
export const MAX_GROUPS = 64;
export const MAX_UNMAPPED = 4096;
/** Pages of all unmapPagesAtSave items together (4 GiB). */
export const MAX_UNMAPPED_PAGES = 1 << 20;
export const MAX_CONTAINS = 64;
/** TASK_COMM_LEN - 1: the kernel keeps 15 characters of a process name. */
export const TASK_COMM_MAX = 15;
/** Page counts: 2^40 pages = 4 PiB, far above any e820 table hiblab accepts. */
const MAX_PAGES = 2 ** 40;

/** The keys each mapping accepts (exported for the schema consistency test). */
export const SCENARIO_KEYS = {
  scenario: [
    'name',
    'description',
    'seed',
    'profile',
    'suspend',
    'resume',
    'hibernate',
    'faults',
    'expect',
    'hmm',
  ],
  boot: ['e820', 'profile', 'cmdline', 'kaslr', 'workload', 'resumeTrigger'],
  /** `suspend: { image: FILE }`: a real image is the hibernated state (no other suspend key). */
  imageSuspend: ['image'],
  e820: ['file', 'boot', 'inline'],
  kaslrSeed: ['seed'],
  kaslrBases: ['pageOffsetBase', 'vmemmapBase', 'vmallocBase'],
  workload: ['seed', 'groups', 'targetCopyPages', 'churn'],
  group: ['kind', 'name', 'pages', 'size', 'zone', 'placement', 'contents', 'fill', 'frames'],
  contents: ['zero', 'text', 'pointer', 'random', 'pattern', 'kernel', 'pagecache'],
  resumeTrigger: ['via', 'process', 'pid'],
  hibernate: ['compressor', 'threads', 'cpus', 'imageSize', 'platformMode'],
  faults: ['cpaSplitFails', 'fixmapSave', 'unmapPagesAtSave', 'noTempPageTables'],
  unmap: ['pfn', 'pages', 'huge'],
  expect: ['outcome', 'contains'],
  ...HMM_KEYS,
} as const;

type Loc = { file: string; line?: number; column?: number };

/** Walks one YAML document; every accessor reports errors at the node it was given. */
export class Reader {
  constructor(
    readonly file: string,
    readonly doc: YamlDocument,
    readonly lc: LineCounter,
  ) {}

  loc(node: Node | Pair | null | undefined, fallback?: Node | null): Loc {
    const n = (node && 'range' in node ? node : undefined) as Node | undefined;
    const r = n?.range ?? (fallback as Node | undefined)?.range;
    if (!r) return { file: this.file };
    const p = this.lc.linePos(r[0]);
    return { file: this.file, line: p.line, column: p.col };
  }

  fail(code: string, message: string, node: Node | null | undefined, fallback?: Node | null): never {
    throw new ScenarioError(code, message, this.loc(node, fallback));
  }

  deref(node: unknown): Node | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc) as Node | undefined;
      if (!target)
        this.fail('SCENARIO_ALIAS', `unknown YAML alias '*${node.source}'`, node as unknown as Node);
      return target;
    }
    return node as Node;
  }

  describe(node: Node | null): string {
    if (node === null) return 'nothing';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      const v = node.value;
      if (v === null) return 'null';
      if (typeof v === 'string') return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
      return `${typeof v === 'bigint' ? 'the integer' : `the ${typeof v}`} ${String(v)}`;
    }
    return 'an unsupported YAML node';
  }

  /** A mapping with only `allowed` keys; returns key → value node (value may be null). */
  map(node: Node | null, path: string, allowed: readonly string[], required: readonly string[] = []) {
    if (!isMap(node))
      this.fail('SCENARIO_TYPE', `${path}: expected a mapping, got ${this.describe(node)}`, node);
    const out = new Map<string, { key: Node; value: Node | null }>();
    for (const pair of (node as YAMLMap).items) {
      const keyNode = pair.key as Node;
      const k = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof k !== 'string') {
        this.fail(
          'SCENARIO_TYPE',
          `${path}: keys must be plain strings, got ${this.describe(keyNode)}`,
          keyNode,
        );
      }
      if (!allowed.includes(k)) {
        this.fail(
          'SCENARIO_UNKNOWN_KEY',
          `${path}: unknown key '${k}'${hint(k, allowed)}; expected one of: ${allowed.join(', ')}`,
          keyNode,
        );
      }
      out.set(k, { key: keyNode, value: this.deref(pair.value) });
    }
    for (const r of required) {
      if (!out.has(r)) this.fail('SCENARIO_MISSING', `${path}: missing required key '${r}'`, node);
    }
    return out;
  }

  str(
    node: Node | null,
    path: string,
    opts: { maxLength?: number; pattern?: RegExp; what?: string } = {},
  ): string {
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.fail('SCENARIO_TYPE', `${path}: expected a string, got ${this.describe(node)}`, node);
    }
    const v = node.value as string;
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      this.fail('SCENARIO_RANGE', `${path}: at most ${opts.maxLength} characters, got ${v.length}`, node);
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.fail(
        'SCENARIO_VALUE',
        `${path}: expected ${opts.what ?? `text matching ${opts.pattern}`}, got '${v}'`,
        node,
      );
    }
    return v;
  }

  bool(node: Node | null, path: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.fail('SCENARIO_TYPE', `${path}: expected true or false, got ${this.describe(node)}`, node);
    }
    return node.value as boolean;
  }

  /** An unsigned integer: YAML int, or a "0x…"/decimal string. */
  bigint(node: Node | null, path: string): bigint {
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'bigint') {
        if (v < 0n) this.fail('SCENARIO_RANGE', `${path}: expected a non-negative integer, got ${v}`, node);
        return v;
      }
      if (typeof v === 'string' && /^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(v.trim())) return BigInt(v.trim());
    }
    return this.fail(
      'SCENARIO_TYPE',
      `${path}: expected an integer (decimal or 0x hex), got ${this.describe(node)}`,
      node,
    );
  }

  int(node: Node | null, path: string, min: number, max: number): number {
    const v = this.bigint(node, path);
    if (v < BigInt(min) || v > BigInt(max)) {
      this.fail('SCENARIO_RANGE', `${path}: expected an integer in ${min}…${max}, got ${v}`, node);
    }
    return Number(v);
  }

  /** A finite number (weights, fractions). */
  num(node: Node | null, path: string, min: number, max: number): number {
    let v: number | undefined;
    if (isScalar(node)) {
      if (typeof node.value === 'number') v = node.value;
      else if (typeof node.value === 'bigint') v = Number(node.value);
    }
    if (v === undefined || !Number.isFinite(v)) {
      this.fail('SCENARIO_TYPE', `${path}: expected a number, got ${this.describe(node)}`, node);
    }
    if (v < min || v > max)
      this.fail('SCENARIO_RANGE', `${path}: expected a number in ${min}…${max}, got ${v}`, node);
    return v;
  }

  /** Bytes: an integer, or a memparse size ("800M", "2G", "0x1000"). */
  bytes(node: Node | null, path: string): bigint {
    if (isScalar(node) && typeof node.value === 'string') {
      const t = node.value.trim();
      const r = memparse(t, 0);
      if (r.end !== t.length || r.end === 0) {
        this.fail(
          'SCENARIO_VALUE',
          `${path}: expected a size like 4096, 0x1000, 800M or 2G (memparse), got '${node.value}'`,
          node,
        );
      }
      // memparse() wraps at 2^64 (16E is 0 to the kernel); a size that wraps is refused, not taken as 0.
      if (r.overflow)
        this.fail('SCENARIO_RANGE', `${path}: '${t}' is 2^64 bytes or more (does not fit in 64 bits)`, node);
      return r.value;
    }
    return this.bigint(node, path);
  }

  oneOf<T extends string>(node: Node | null, path: string, values: readonly T[]): T {
    const v = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
    if (v === undefined || !values.includes(v as T)) {
      const shown = v === undefined ? this.describe(node) : `'${v}'`;
      this.fail(
        'SCENARIO_ENUM',
        `${path}: expected one of ${values.map((x) => `'${x}'`).join(', ')}, got ${shown}${v === undefined ? '' : hint(v, values)}`,
        node,
      );
    }
    return v as T;
  }

  seq(node: Node | null, path: string, max: number, min = 0): Node[] {
    if (!isSeq(node))
      this.fail('SCENARIO_TYPE', `${path}: expected a list, got ${this.describe(node)}`, node);
    const items = node.items.map((x) => this.deref(x));
    if (items.length < min) this.fail('SCENARIO_RANGE', `${path}: expected at least ${min} item(s)`, node);
    if (items.length > max)
      this.fail('SCENARIO_RANGE', `${path}: at most ${max} items, got ${items.length}`, node);
    return items as Node[];
  }
}

/** A per-purpose seed derived from the master seed (stable, documented in docs/scenarios.md). */
export function deriveSeed(master: number, label: string): number {
  return new Prng(`hiblab:${master}:${label}`).nextU32();
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function readE820(r: Reader, node: Node | null, path: string): E820Source {
  const m = r.map(node, path, SCENARIO_KEYS.e820);
  const file = m.get('file');
  const inline = m.get('inline');
  if ((file === undefined) === (inline === undefined)) {
    r.fail(
      'SCENARIO_CONFLICT',
      `${path}: give exactly one of 'file' (a log path or data:<name>) or 'inline' (pasted dmesg lines)`,
      node,
    );
  }
  const out: E820Source = {};
  if (file)
    out.file = r.str(file.value, `${path}.file`, { maxLength: 4096, pattern: /\S/, what: 'a file path' });
  if (inline) out.inline = r.str(inline.value, `${path}.inline`, { maxLength: SCENARIO_MAX_BYTES });
  const boot = m.get('boot');
  out.boot = boot ? r.int(boot.value, `${path}.boot`, 0, 1023) : 0;
  return out;
}

const HEX_U64 = /^0[xX][0-9a-fA-F]{1,16}$/;
const PUD_SIZE = 1n << 30n;
const KERNEL_HALF = 0xffff800000000000n;

function readBase(r: Reader, node: Node | null, path: string): string {
  let v: bigint;
  if (isScalar(node) && typeof node.value === 'string') {
    const s = r.str(node, path, { pattern: HEX_U64, what: 'a 0x hex address' });
    v = BigInt(s);
  } else v = r.bigint(node, path);
  // kernel_randomize_memory() (arch/x86/mm/kaslr.c) places each region on a PUD_SIZE boundary
  // inside the kernel half of the canonical address space.
  if (v < KERNEL_HALF || v > 0xffffffffffffffffn) {
    r.fail(
      'SCENARIO_RANGE',
      `${path}: expected a kernel address (0xffff8… or above), got 0x${v.toString(16)}`,
      node,
    );
  }
  if (v % PUD_SIZE !== 0n) {
    r.fail(
      'SCENARIO_VALUE',
      `${path}: KASLR bases are 1 GiB aligned (kernel_randomize_memory, PUD_MASK), got 0x${v.toString(16)}`,
      node,
    );
  }
  return `0x${v.toString(16)}`;
}

function readKaslr(r: Reader, node: Node | null, path: string): KaslrSpec {
  if (isScalar(node) && typeof node.value === 'string') {
    r.oneOf(node, path, ['off'] as const);
    return 'off';
  }
  if (!isMap(node)) {
    r.fail(
      'SCENARIO_TYPE',
      `${path}: expected 'off', {seed: N} or {pageOffsetBase, vmemmapBase[, vmallocBase]}, got ${r.describe(node)}`,
      node,
    );
  }
  const keys = (node as YAMLMap).items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
  if (keys.includes('seed')) {
    const m = r.map(node, path, SCENARIO_KEYS.kaslrSeed, ['seed']);
    return { seed: r.int(m.get('seed')!.value, `${path}.seed`, 0, Number.MAX_SAFE_INTEGER) };
  }
  const m = r.map(node, path, SCENARIO_KEYS.kaslrBases, ['pageOffsetBase', 'vmemmapBase']);
  const out: { pageOffsetBase: string; vmemmapBase: string; vmallocBase?: string } = {
    pageOffsetBase: readBase(r, m.get('pageOffsetBase')!.value, `${path}.pageOffsetBase`),
    vmemmapBase: readBase(r, m.get('vmemmapBase')!.value, `${path}.vmemmapBase`),
  };
  const vm = m.get('vmallocBase');
  if (vm) out.vmallocBase = readBase(r, vm.value, `${path}.vmallocBase`);
  return out;
}

function readContents(r: Reader, node: Node | null, path: string): ContentWeights {
  const m = r.map(node, path, SCENARIO_KEYS.contents);
  const out: ContentWeights = { zero: 0, text: 0, pointer: 0, random: 0 };
  let sum = 0;
  for (const k of SCENARIO_KEYS.contents) {
    const e = m.get(k);
    if (!e) continue;
    out[k] = r.num(e.value, `${path}.${k}`, 0, 1e6);
    sum += out[k];
  }
  if (sum <= 0) {
    r.fail('SCENARIO_VALUE', `${path}: at least one weight must be greater than 0`, node);
  }
  return out;
}

function readGroup(r: Reader, node: Node | null, path: string): WorkloadGroup {
  const m = r.map(node, path, SCENARIO_KEYS.group, ['kind']);
  const kind = r.oneOf(m.get('kind')!.value, `${path}.kind`, WORKLOAD_KINDS);
  const fill = m.get('fill') ? r.bool(m.get('fill')!.value, `${path}.fill`) : false;
  const pagesE = m.get('pages');
  const sizeE = m.get('size');
  const framesE = m.get('frames');
  if (pagesE && sizeE) r.fail('SCENARIO_CONFLICT', `${path}: give 'pages' or 'size', not both`, node);
  if (framesE && (pagesE || sizeE || fill)) {
    r.fail(
      'SCENARIO_CONFLICT',
      `${path}: 'frames' fixes the pages; do not combine it with pages, size or fill`,
      node,
    );
  }
  if (framesE) {
    const frames = r.seq(framesE.value, `${path}.frames`, MAX_GROUPS * 16, 1).map((f, i) => {
      const text = r.str(f, `${path}.frames[${i}]`, {
        pattern: /^\s*(0x[0-9a-fA-F]+|[0-9]+)\s*(-\s*(0x[0-9a-fA-F]+|[0-9]+)\s*)?$/,
        what: "a pfn or an inclusive pfn range like '0xbe100-0xbe1e7'",
      });
      const [a, b] = text.split('-').map((x) => Number(x.trim()));
      const start = a!;
      const end = (b ?? a!) + 1;
      if (!(end > start)) r.fail('SCENARIO_RANGE', `${path}.frames[${i}]: end before start`, f);
      if (end > MAX_PAGES)
        r.fail('SCENARIO_RANGE', `${path}.frames[${i}]: pfns end at 2^40 - 1 (MAX_PHYSMEM_BITS 52)`, f);
      return { start, end };
    });
    const g: WorkloadGroup = { kind, frames, pages: frames.reduce((n, f) => n + f.end - f.start, 0) };
    const name = m.get('name');
    if (name) g.name = r.str(name.value, `${path}.name`, { maxLength: 64 });
    g.zone = 'any';
    g.placement = 'compact';
    g.contents = m.get('contents')
      ? readContents(r, m.get('contents')!.value, `${path}.contents`)
      : { ...DEFAULT_CONTENTS[kind] };
    g.fill = false;
    return g;
  }
  if (!pagesE && !sizeE && !fill) {
    r.fail(
      'SCENARIO_MISSING',
      `${path}: missing 'pages' or 'size' (only a 'fill: true' group may omit both)`,
      node,
    );
  }
  const g: WorkloadGroup = { kind };
  const name = m.get('name');
  if (name) g.name = r.str(name.value, `${path}.name`, { maxLength: 64 });
  if (pagesE) g.pages = r.int(pagesE.value, `${path}.pages`, 0, MAX_PAGES);
  else if (sizeE) {
    const bytes = r.bytes(sizeE.value, `${path}.size`);
    const pages = (bytes + 4095n) / 4096n;
    if (pages > BigInt(MAX_PAGES)) r.fail('SCENARIO_RANGE', `${path}.size: larger than 4 PiB`, sizeE.value);
    const v = sizeE.value as Node;
    g.size = isScalar(v) && typeof v.value === 'string' ? v.value.trim() : String(bytes);
    g.pages = Number(pages);
  } else g.pages = 0;
  g.zone = m.get('zone') ? r.oneOf(m.get('zone')!.value, `${path}.zone`, WORKLOAD_ZONES) : 'any';
  g.placement = m.get('placement')
    ? r.oneOf(m.get('placement')!.value, `${path}.placement`, WORKLOAD_PLACEMENTS)
    : 'scattered';
  g.contents = m.get('contents')
    ? readContents(r, m.get('contents')!.value, `${path}.contents`)
    : { ...DEFAULT_CONTENTS[kind] };
  g.fill = fill;
  return g;
}

function readWorkload(r: Reader, node: Node | null, path: string, seed: number): WorkloadSpec {
  const m = r.map(node, path, SCENARIO_KEYS.workload, ['groups']);
  const groupsNode = m.get('groups')!.value;
  const groups = r
    .seq(groupsNode, `${path}.groups`, MAX_GROUPS, 1)
    .map((g, i) => readGroup(r, g, `${path}.groups[${i}]`));
  const w: WorkloadSpec = {
    seed: m.get('seed') ? r.int(m.get('seed')!.value, `${path}.seed`, 0, Number.MAX_SAFE_INTEGER) : seed,
    groups,
  };
  const fills = groups.filter((g) => g.fill).length;
  if (fills > 1)
    r.fail('SCENARIO_CONFLICT', `${path}.groups: at most one group may have 'fill: true'`, groupsNode);
  const t = m.get('targetCopyPages');
  if (t) {
    w.targetCopyPages = r.int(t.value, `${path}.targetCopyPages`, 1, MAX_PAGES);
    if (fills === 0) {
      r.fail(
        'SCENARIO_MISSING',
        `${path}: targetCopyPages needs one group with 'fill: true' to resize`,
        t.key,
      );
    }
  } else if (fills === 1) {
    r.fail('SCENARIO_MISSING', `${path}: a 'fill: true' group needs workload.targetCopyPages`, node);
  }
  w.churn = m.get('churn') ? r.num(m.get('churn')!.value, `${path}.churn`, 0, 1) : 0;
  return w;
}

function readBoot(
  r: Reader,
  node: Node | null,
  which: 'suspend' | 'resume',
  defaults: { profile: string; seed: number; imageScenario?: boolean },
): BootSpec {
  const m = r.map(node, which, SCENARIO_KEYS.boot, ['e820']);
  const boot: BootSpec = { e820: readE820(r, m.get('e820')!.value, `${which}.e820`) };
  const p = m.get('profile');
  boot.profile = p ? readProfile(r, p.value, `${which}.profile`) : defaults.profile;
  // AUTO_PROFILE (an image scenario without a profile) is decided once the log is read.
  const profile = boot.profile === AUTO_PROFILE ? undefined : getProfile(boot.profile);
  const c = m.get('cmdline');
  if (c) boot.cmdline = r.str(c.value, `${which}.cmdline`, { maxLength: 4096 });
  const words = splitCmdline(boot.cmdline ?? '');
  const nokaslr = words.includes('nokaslr');
  const k = m.get('kaslr');
  if (k) {
    boot.kaslr = readKaslr(r, k.value, `${which}.kaslr`);
    if (nokaslr && boot.kaslr !== 'off') {
      r.fail(
        'SCENARIO_CONFLICT',
        `${which}.kaslr: the cmdline says nokaslr; use kaslr: off or drop nokaslr`,
        k.key,
      );
    }
  } else if (nokaslr || (profile && !profile.paging.kaslrMemoryDefault)) boot.kaslr = 'off';
  // An image scenario's resume boot: decided at run time from the effective command line
  // (the scenario's, else the log's own), as `hiblab resume` does (run-image.ts).
  else if (!defaults.imageScenario) boot.kaslr = { seed: deriveSeed(defaults.seed, `${which}.kaslr`) };
  const w = m.get('workload');
  if (w)
    boot.workload = readWorkload(
      r,
      w.value,
      `${which}.workload`,
      deriveSeed(defaults.seed, `${which}.workload`),
    );
  const t = m.get('resumeTrigger');
  if (t && which === 'suspend') {
    r.fail('SCENARIO_CONFLICT', 'suspend.resumeTrigger: only the resume boot has a resume trigger', t.key);
  }
  if (which === 'resume') {
    if (t) {
      const tm = r.map(t.value, 'resume.resumeTrigger', SCENARIO_KEYS.resumeTrigger, ['via']);
      const via = r.oneOf(tm.get('via')!.value, 'resume.resumeTrigger.via', ['initcall', 'sysfs'] as const);
      boot.resumeTrigger = { via };
      const proc = tm.get('process');
      if (proc) {
        if (via !== 'sysfs') {
          r.fail(
            'SCENARIO_CONFLICT',
            'resume.resumeTrigger.process: only with via: sysfs (a user process writes /sys/power/resume)',
            proc.key,
          );
        }
        boot.resumeTrigger.process = r.str(proc.value, 'resume.resumeTrigger.process', {
          maxLength: TASK_COMM_MAX,
          pattern: /^\S/,
          what: 'a process name (comm, as ps prints it)',
        });
      }
      const pid = tm.get('pid');
      if (pid) {
        if (via !== 'sysfs') {
          r.fail(
            'SCENARIO_CONFLICT',
            'resume.resumeTrigger.pid: only with via: sysfs (an initcall runs in PID 1)',
            pid.key,
          );
        }
        // PID_MAX_LIMIT (4M on 64-bit); PID 1 is init, which runs the initcalls.
        boot.resumeTrigger.pid = r.int(pid.value, 'resume.resumeTrigger.pid', 1, 4194304);
      }
    } else boot.resumeTrigger = { via: 'initcall' };
  }
  return boot;
}

/** Keys of a modelled suspend boot, refused next to `image` (the image fixes what they would model). */
const MODELLED_SUSPEND_KEYS = SCENARIO_KEYS.boot.filter((k) => k !== 'resumeTrigger');

/** Does this `suspend:` node name a real image (a mapping with an `image` key)? */
function hasImageKey(node: Node | null): boolean {
  return isMap(node) && (node as YAMLMap).items.some((p) => isScalar(p.key) && p.key.value === 'image');
}

/**
 * `suspend: { image: FILE }`. The image is the whole hibernated state, so the
 * modelled suspend boot's keys are refused beside it (at the key), with the
 * reason; unknown keys get the usual hint.
 */
function readImageSuspend(r: Reader, node: Node | null): { spec: ImageSuspendSpec; at: Node | null } {
  const m = r.map(node, 'suspend', [...SCENARIO_KEYS.imageSuspend, ...SCENARIO_KEYS.boot]);
  for (const [k, e] of m) {
    if (k === 'image') continue;
    r.fail(
      'SCENARIO_CONFLICT',
      k === 'resumeTrigger'
        ? 'suspend.resumeTrigger: only the resume boot has a resume trigger'
        : `suspend.${k}: a real image (suspend.image) is the hibernated state; the modelled suspend boot's keys (${MODELLED_SUSPEND_KEYS.join(', ')}) do not apply beside it`,
      e.key,
    );
  }
  const v = m.get('image')!.value;
  const file = r.str(v, 'suspend.image', {
    maxLength: 4096,
    pattern: /\S/,
    what: 'a path to a swap image file, relative to the scenario file',
  });
  if (file.startsWith('data:')) {
    r.fail(
      'SCENARIO_VALUE',
      `suspend.image: hiblab ships no swap images under data/; give the image's path relative to the scenario file, got '${file}'`,
      v,
    );
  }
  return { spec: { image: file }, at: v };
}

/** Top-level keys that model the hibernating side, refused in an image scenario. */
const IMAGE_SCENARIO_REFUSED: Record<string, string> = {
  hibernate: 'how the image is written is fixed by the image itself (its flags, compressor and size)',
  hmm: 'an HMM story runs on the modelled suspend boot, which an image scenario does not have',
};
/** Faults injected while the image is made (the resume-side noTempPageTables stays). */
const SUSPEND_FAULTS = ['cpaSplitFails', 'fixmapSave', 'unmapPagesAtSave'] as const;

function readProfile(r: Reader, node: Node | null, path: string): string {
  return r.oneOf(node, path, PROFILE_IDS);
}

/** Compressor the suspend cmdline selects, mirroring hibernate_setup() / the hibernate.compressor param. */
function cmdlineCompressor(cmdline: string | undefined): Compressor | undefined {
  let c: Compressor | undefined;
  for (const w of splitCmdline(cmdline ?? '')) {
    if (w === 'hibernate=nocompress') c = 'none';
    else if (w.startsWith('hibernate.compressor=') && c !== 'none') {
      const v = w.slice('hibernate.compressor='.length);
      if (v === 'lzo' || v === 'lz4') c = v;
    }
  }
  return c;
}

function readHibernate(r: Reader, node: Node | null | undefined, suspend: BootSpec): HibernateSpec {
  const profile = getProfile(suspend.profile!);
  const h: HibernateSpec = {};
  const m =
    node === undefined
      ? new Map<string, { key: Node; value: Node | null }>()
      : r.map(node, 'hibernate', SCENARIO_KEYS.hibernate);
  const fromCmdline = cmdlineCompressor(suspend.cmdline);
  const c = m.get('compressor');
  if (c) {
    h.compressor = r.oneOf(c.value, 'hibernate.compressor', ['lzo', 'lz4', 'none'] as const);
    if (fromCmdline === 'none' && h.compressor !== 'none') {
      r.fail(
        'SCENARIO_CONFLICT',
        `hibernate.compressor: the suspend cmdline says hibernate=nocompress`,
        c.value,
      );
    }
  } else h.compressor = fromCmdline ?? 'lzo';
  if (h.compressor !== 'none' && !profile.hibernation.compressors.includes(h.compressor)) {
    r.fail(
      'SCENARIO_VALUE',
      `hibernate.compressor: ${profile.id} can compress with ${profile.hibernation.compressors.join(', ')} only, not ${h.compressor}`,
      c?.value ?? node ?? null,
    );
  }
  if (m.get('threads')) h.threads = r.int(m.get('threads')!.value, 'hibernate.threads', 1, 256);
  if (m.get('cpus')) h.cpus = r.int(m.get('cpus')!.value, 'hibernate.cpus', 1, 8192);
  const is = m.get('imageSize');
  if (is) {
    const v = r.bytes(is.value, 'hibernate.imageSize');
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      r.fail('SCENARIO_RANGE', 'hibernate.imageSize: too large', is.value);
    h.imageSize = Number(v);
  }
  h.platformMode = m.get('platformMode')
    ? r.bool(m.get('platformMode')!.value, 'hibernate.platformMode')
    : false;
  return h;
}

function readFaults(r: Reader, node: Node | null): FaultSpec {
  const m = r.map(node, 'faults', SCENARIO_KEYS.faults);
  const f: FaultSpec = {};
  for (const k of ['cpaSplitFails', 'fixmapSave', 'noTempPageTables'] as const) {
    const e = m.get(k);
    if (e) f[k] = r.bool(e.value, `faults.${k}`);
  }
  const u = m.get('unmapPagesAtSave');
  if (u) {
    let total = 0;
    f.unmapPagesAtSave = r.seq(u.value, 'faults.unmapPagesAtSave', MAX_UNMAPPED).map((it, i) => {
      const path = `faults.unmapPagesAtSave[${i}]`;
      const um = r.map(it, path, SCENARIO_KEYS.unmap, ['pfn']);
      const out = {
        pfn: r.int(um.get('pfn')!.value, `${path}.pfn`, 0, 2 ** 40 - 1),
        pages: um.get('pages') ? r.int(um.get('pages')!.value, `${path}.pages`, 1, MAX_UNMAPPED_PAGES) : 1,
        huge: um.get('huge') ? r.bool(um.get('huge')!.value, `${path}.huge`) : false,
      };
      // Each page is a CPA step at run time: bound the list's total, not only each item.
      total += out.pages;
      if (total > MAX_UNMAPPED_PAGES) {
        r.fail(
          'SCENARIO_RANGE',
          `faults.unmapPagesAtSave: at most ${MAX_UNMAPPED_PAGES} pages in all, got more by item ${i}`,
          it,
        );
      }
      return out;
    });
  }
  return f;
}

function readExpect(r: Reader, node: Node | null): ExpectSpec {
  const m = r.map(node, 'expect', SCENARIO_KEYS.expect, ['outcome']);
  const e: ExpectSpec = { outcome: r.oneOf(m.get('outcome')!.value, 'expect.outcome', OUTCOMES) };
  const c = m.get('contains');
  if (c) {
    e.contains = r
      .seq(c.value, 'expect.contains', MAX_CONTAINS)
      .map((x, i) =>
        r.str(x, `expect.contains[${i}]`, { maxLength: 1024, pattern: /./, what: 'a non-empty string' }),
      );
  }
  return e;
}

/** First line of a yaml library message, without its own "at line …" suffix. */
function yamlMessage(msg: string): string {
  return (msg.split('\n')[0] ?? msg).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parse and validate a scenario. `file` names the text in errors (a path, or
 * `builtin:<name>`). Throws ParseError (YAML syntax) or ScenarioError (content).
 */
export function loadScenario(text: string, file: string): Scenario {
  if (text.length > SCENARIO_MAX_BYTES) {
    throw new ParseError('SCENARIO_TOO_LARGE', `scenario larger than ${SCENARIO_MAX_BYTES} bytes`, { file });
  }
  const lc = new LineCounter();
  let doc: YamlDocument;
  try {
    doc = parseDocument(text, {
      lineCounter: lc,
      intAsBigInt: true,
      prettyErrors: false,
      uniqueKeys: true,
    });
  } catch (e) {
    // The yaml parser recurses once per item while it recovers from some broken
    // indentation (a fuzzed list of ~1800 items with two mis-indented lines): the stack
    // runs out. That is bad input, not a crash.
    if (e instanceof RangeError) {
      throw new ParseError(
        'YAML_TOO_COMPLEX',
        'YAML: the parser ran out of stack on this text (mis-indented lines in a long block?)',
        { file },
      );
    }
    throw e;
  }
  const err = doc.errors[0];
  if (err) {
    const p = err.linePos?.[0] ?? lc.linePos(err.pos[0]);
    throw new ParseError(`YAML_${err.code}`, `YAML: ${yamlMessage(err.message)}`, {
      file,
      line: p.line,
      column: p.col,
    });
  }
  const r = new Reader(file, doc, lc);
  const root = r.deref(doc.contents);
  if (root === null)
    throw new ScenarioError(
      'SCENARIO_EMPTY',
      'empty scenario: expected a mapping with name, profile, suspend, resume',
      { file, line: 1, column: 1 },
    );
  const m = r.map(root, 'scenario', SCENARIO_KEYS.scenario, ['name', 'suspend']);
  // A real image as the hibernated state: no profile needed (the resume boot's log names its
  // kernel), a resume boot needed, and nothing that models the hibernating side.
  const imageScenario = hasImageKey(m.get('suspend')!.value);
  if (!imageScenario && !m.has('profile'))
    r.fail('SCENARIO_MISSING', `scenario: missing required key 'profile'`, root);
  if (imageScenario) {
    for (const [k, why] of Object.entries(IMAGE_SCENARIO_REFUSED)) {
      const e = m.get(k);
      if (e) r.fail('SCENARIO_CONFLICT', `${k}: not with suspend.image: ${why}`, e.key);
    }
    if (!m.has('resume'))
      r.fail(
        'SCENARIO_MISSING',
        `scenario: missing required key 'resume' (the boot that resumes suspend.image)`,
        root,
      );
  }
  // An HMM story may leave out the resume boot (it is the suspend boot again); others need it.
  if (!m.has('resume') && !m.has('hmm'))
    r.fail('SCENARIO_MISSING', `scenario: missing required key 'resume'`, root);
  const name = r.str(m.get('name')!.value, 'name', {
    maxLength: 80,
    pattern: NAME_RE,
    what: 'a name of letters, digits, ".", "_" and "-"',
  });
  const pn = m.get('profile');
  const profile = pn ? readProfile(r, pn.value, 'profile') : AUTO_PROFILE;
  const seed = m.get('seed') ? r.int(m.get('seed')!.value, 'seed', 0, Number.MAX_SAFE_INTEGER) : 0;
  const d = m.get('description');
  const sc = { name } as Scenario;
  if (d) sc.description = r.str(d.value, 'description', { maxLength: 4096 });
  sc.seed = seed;
  sc.profile = profile;
  if (imageScenario) {
    const { spec, at } = readImageSuspend(r, m.get('suspend')!.value);
    sc.suspend = spec;
    const loc = r.loc(at);
    sc.resume = readBoot(r, m.get('resume')!.value, 'resume', { profile, seed, imageScenario });
    const f = m.get('faults');
    if (f) {
      sc.faults = readFaults(r, f.value);
      const fm = r.map(f.value, 'faults', SCENARIO_KEYS.faults);
      for (const k of SUSPEND_FAULTS) {
        const e = fm.get(k);
        if (e)
          r.fail(
            'SCENARIO_CONFLICT',
            `faults.${k}: not with suspend.image: it is injected while the image is made, and a real image is already made`,
            e.key,
          );
      }
    }
    if (m.get('expect')) sc.expect = readExpect(r, m.get('expect')!.value);
    sc.source = {
      file,
      ...(loc.line !== undefined ? { image: { line: loc.line, column: loc.column! } } : {}),
    };
    return sc;
  }
  const suspend = readBoot(r, m.get('suspend')!.value, 'suspend', { profile, seed });
  sc.suspend = suspend;
  const resumeNode = m.get('resume')?.value;
  sc.resume =
    resumeNode === undefined
      ? { ...structuredClone(suspend), resumeTrigger: { via: 'initcall' } }
      : readBoot(r, resumeNode, 'resume', { profile, seed });
  sc.hibernate = readHibernate(r, m.get('hibernate')?.value ?? undefined, suspend);
  if (m.get('faults')) sc.faults = readFaults(r, m.get('faults')!.value);
  if (m.get('expect')) sc.expect = readExpect(r, m.get('expect')!.value);
  const hmm = m.get('hmm');
  if (hmm) {
    sc.hmm = readHmm(r, hmm.value, suspend);
    if (resumeNode === undefined && sc.hmm.steps.some((st) => st.action === 'hibernate')) {
      r.fail(
        'SCENARIO_MISSING',
        "hmm.steps: a 'hibernate' step needs the scenario's 'resume' boot (the machine that reads the image)",
        hmm.key,
      );
    }
  }
  sc.source = { file };
  return sc;
}
