/**
 * The `hmm:` part of a scenario (an HMM story, src/scenario/hmm-story.ts):
 * the dmirror driver's settings, processes with their anonymous mappings,
 * and the steps. Read with load.ts's Reader, so every error names
 * file:line:column of the key or value and the key path (hmm.steps[2].to).
 *
 *   hmm:
 *     driver: { faultOwner: device, migrateOwner: device, deviceMemory: rpage, freeze: none }
 *     processes:
 *       - name: mmap_test
 *         capSysAdmin: false
 *         mappings: [ { name: buf, size: 4096, prot: rw } ]
 *     steps:
 *       - { write: buf, u32: 0x66616365 }        # or fill: 0x5a | pattern: index; offset: bytes
 *       - { migrate: buf, to: device, device: 0 } # HMM_DMIRROR_MIGRATE_TO_DEV / _TO_SYS
 *       - { pagemap: buf, page: 0 }              # /proc/self/pagemap
 *       - { read: buf }                          # the CPU reads it all, compared with the writes
 *       - hibernate: {}                          # hibernate → resume through the engine
 */
import { isScalar, type Node } from 'yaml';
import { getProfile } from '../profiles/index.js';
import type { Reader } from './load.js';
import type {
  BootSpec,
  HmmDriverSpec,
  HmmMappingSpec,
  HmmProcessSpec,
  HmmStep,
  HmmStorySpec,
} from './types.js';

/** The keys of each hmm mapping (merged into SCENARIO_KEYS). */
export const HMM_KEYS = {
  hmm: ['driver', 'processes', 'steps'],
  hmmDriver: ['faultOwner', 'migrateOwner', 'deviceMemory', 'freeze'],
  hmmProcess: ['name', 'capSysAdmin', 'mappings'],
  hmmMapping: ['name', 'size', 'prot'],
  hmmStep: [
    'write',
    'migrate',
    'pagemap',
    'read',
    'hibernate',
    'process',
    'offset',
    'u32',
    'fill',
    'pattern',
    'to',
    'device',
    'page',
  ],
} as const;

/** The step actions: exactly one of these keys per step. */
export const HMM_ACTIONS = ['write', 'migrate', 'pagemap', 'read', 'hibernate'] as const;
/** Which parameters each action takes (besides `process`). */
const PARAMS: Record<(typeof HMM_ACTIONS)[number], readonly string[]> = {
  write: ['offset', 'u32', 'fill', 'pattern'],
  migrate: ['to', 'device'],
  pagemap: ['page'],
  read: [],
  hibernate: [],
};

export const HMM_MAX_PROCESSES = 8;
export const HMM_MAX_MAPPINGS = 16;
export const HMM_MAX_STEPS = 256;
/** All mappings of a story together: the story keeps a shadow copy of what was written. */
export const HMM_MAX_BYTES = 64 * 1024 * 1024;
/** hmm_dmirror0 and 1 are the device-private devices (2 and 3 need spm_addr_dev0/1). */
const DEVICES = 2;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function readDriver(r: Reader, node: Node | null | undefined): HmmDriverSpec {
  const d: HmmDriverSpec = {
    faultOwner: 'device',
    migrateOwner: 'device',
    deviceMemory: 'rpage',
    freeze: 'none',
  };
  if (node === undefined) return d;
  const m = r.map(node, 'hmm.driver', HMM_KEYS.hmmDriver);
  for (const k of ['faultOwner', 'migrateOwner'] as const) {
    const e = m.get(k);
    if (e)
      d[k] = r.str(e.value, `hmm.driver.${k}`, {
        maxLength: 64,
        pattern: /^\S+$/,
        what: "'device' (the pgmap's owner) or another owner token's name, e.g. '&dmirror_device'",
      });
  }
  const dm = m.get('deviceMemory');
  if (dm) d.deviceMemory = r.oneOf(dm.value, 'hmm.driver.deviceMemory', ['rpage', 'device'] as const);
  const fr = m.get('freeze');
  if (fr) d.freeze = r.oneOf(fr.value, 'hmm.driver.freeze', ['none', 'evict'] as const);
  return d;
}

function readProcess(r: Reader, node: Node | null, path: string, budget: { bytes: number }): HmmProcessSpec {
  const m = r.map(node, path, HMM_KEYS.hmmProcess, ['name', 'mappings']);
  const p: HmmProcessSpec = {
    name: r.str(m.get('name')!.value, `${path}.name`, {
      maxLength: 15,
      pattern: /^\S+$/,
      what: 'a process name (comm, at most 15 characters)',
    }),
    capSysAdmin: m.get('capSysAdmin') ? r.bool(m.get('capSysAdmin')!.value, `${path}.capSysAdmin`) : false,
    mappings: [],
  };
  const items = r.seq(m.get('mappings')!.value, `${path}.mappings`, HMM_MAX_MAPPINGS, 1);
  for (const [i, it] of items.entries()) {
    const mp = `${path}.mappings[${i}]`;
    const mm = r.map(it, mp, HMM_KEYS.hmmMapping, ['name', 'size']);
    const name = r.str(mm.get('name')!.value, `${mp}.name`, {
      maxLength: 32,
      pattern: NAME_RE,
      what: 'a name of letters, digits, "_", "." and "-"',
    });
    if (p.mappings.some((x) => x.name === name))
      r.fail(
        'SCENARIO_CONFLICT',
        `${mp}.name: '${name}' is already a mapping of this process`,
        mm.get('name')!.value,
      );
    const sizeNode = mm.get('size')!.value;
    const bytes = r.bytes(sizeNode, `${mp}.size`);
    const size = Number(((bytes + 4095n) / 4096n) * 4096n);
    if (bytes === 0n) r.fail('SCENARIO_RANGE', `${mp}.size: a mapping needs at least one byte`, sizeNode);
    budget.bytes += size;
    if (budget.bytes > HMM_MAX_BYTES)
      r.fail(
        'SCENARIO_RANGE',
        `${mp}.size: the story's mappings exceed ${HMM_MAX_BYTES >> 20} MiB in all`,
        sizeNode,
      );
    const prot = mm.get('prot') ? r.oneOf(mm.get('prot')!.value, `${mp}.prot`, ['rw', 'r'] as const) : 'rw';
    const mapping: HmmMappingSpec = { name, size, prot };
    p.mappings.push(mapping);
  }
  return p;
}

function readStep(r: Reader, node: Node | null, path: string, procs: HmmProcessSpec[]): HmmStep {
  const m = r.map(node, path, HMM_KEYS.hmmStep);
  const actions = HMM_ACTIONS.filter((a) => m.has(a));
  if (actions.length !== 1) {
    r.fail(
      actions.length ? 'SCENARIO_CONFLICT' : 'SCENARIO_MISSING',
      `${path}: a step has exactly one action key of ${HMM_ACTIONS.join(', ')}${actions.length ? `, got ${actions.join(' and ')}` : ''}`,
      node,
    );
  }
  const action = actions[0]!;
  for (const [k, e] of m) {
    if (k === action || k === 'process') continue;
    if (!PARAMS[action].includes(k)) {
      r.fail(
        'SCENARIO_CONFLICT',
        `${path}.${k}: not a parameter of a '${action}' step${PARAMS[action].length ? ` (it takes ${PARAMS[action].join(', ')})` : ''}`,
        e.key,
      );
    }
  }
  if (action === 'hibernate') {
    const h = m.get('hibernate')!;
    // `hibernate:` (null) or `hibernate: {}`: it takes no parameters.
    if (h.value !== null && !(isScalar(h.value) && h.value.value === null))
      r.map(h.value, `${path}.hibernate`, []);
    if (m.has('process'))
      r.fail(
        'SCENARIO_CONFLICT',
        `${path}.process: hibernate is the whole machine's, not a process's`,
        m.get('process')!.key,
      );
    return { action: 'hibernate' };
  }
  const pe = m.get('process');
  const process = pe ? r.int(pe.value, `${path}.process`, 0, procs.length - 1) : 0;
  const proc = procs[process]!;
  const mv = m.get(action)!.value;
  const mapping = r.str(mv, `${path}.${action}`, { maxLength: 32, pattern: /./, what: 'a mapping name' });
  const map = proc.mappings.find((x) => x.name === mapping);
  if (!map) {
    r.fail(
      'SCENARIO_VALUE',
      `${path}.${action}: process '${proc.name}' has no mapping '${mapping}' (it has ${proc.mappings.map((x) => x.name).join(', ')})`,
      mv,
    );
  }
  switch (action) {
    case 'write': {
      const oe = m.get('offset');
      const offset = oe ? r.int(oe.value, `${path}.offset`, 0, map.size - 1) : 0;
      const kinds = (['u32', 'fill', 'pattern'] as const).filter((k) => m.has(k));
      if (kinds.length !== 1) {
        r.fail(
          kinds.length ? 'SCENARIO_CONFLICT' : 'SCENARIO_MISSING',
          `${path}: a write gives exactly one of u32 (one word at offset), fill (a byte from offset to the end) or pattern: index (word i = i from offset)`,
          node,
        );
      }
      const st: HmmStep = { action, process, mapping, offset };
      if (kinds[0] === 'u32') {
        st.u32 = r.int(m.get('u32')!.value, `${path}.u32`, 0, 0xffffffff);
        if (offset % 4 || offset + 4 > map.size)
          r.fail(
            'SCENARIO_VALUE',
            `${path}.offset: a u32 store needs a 4-byte aligned offset inside the mapping`,
            oe!.value,
          );
      } else if (kinds[0] === 'fill') st.fill = r.int(m.get('fill')!.value, `${path}.fill`, 0, 255);
      else {
        st.pattern = r.oneOf(m.get('pattern')!.value, `${path}.pattern`, ['index'] as const);
        if (offset % 4)
          r.fail('SCENARIO_VALUE', `${path}.offset: pattern: index writes words, 4-byte aligned`, oe!.value);
      }
      return st;
    }
    case 'migrate': {
      const te = m.get('to');
      if (!te) r.fail('SCENARIO_MISSING', `${path}: a migrate step needs 'to: device' or 'to: system'`, node);
      const to = r.oneOf(te.value, `${path}.to`, ['device', 'system'] as const);
      const de = m.get('device');
      const device = de ? r.int(de.value, `${path}.device`, 0, DEVICES - 1) : 0;
      return { action, process, mapping, to, device };
    }
    case 'pagemap': {
      const pg = m.get('page');
      const page = pg ? r.int(pg.value, `${path}.page`, 0, map.size / 4096 - 1) : 0;
      return { action, process, mapping, page };
    }
    default:
      return { action: 'read', process, mapping };
  }
}

/** Read and validate `hmm:`; the profile of the suspend boot must model HMM. */
export function readHmm(r: Reader, node: Node | null, suspend: BootSpec): HmmStorySpec {
  const m = r.map(node, 'hmm', HMM_KEYS.hmm, ['processes', 'steps']);
  const profile = getProfile(suspend.profile!);
  if (!profile.hmm) {
    r.fail(
      'SCENARIO_VALUE',
      `hmm: profile ${profile.id} has no HMM/ZONE_DEVICE model (DEVICE_PRIVATE is 4.14+); use linux-6.1 or linux-6.12`,
      node,
    );
  }
  const driver = readDriver(r, m.get('driver')?.value ?? undefined);
  const budget = { bytes: 0 };
  const processes = r
    .seq(m.get('processes')!.value, 'hmm.processes', HMM_MAX_PROCESSES, 1)
    .map((p, i) => readProcess(r, p, `hmm.processes[${i}]`, budget));
  const steps = r
    .seq(m.get('steps')!.value, 'hmm.steps', HMM_MAX_STEPS, 1)
    .map((st, i) => readStep(r, st, `hmm.steps[${i}]`, processes));
  if (steps.filter((s) => s.action === 'hibernate').length > 1) {
    r.fail(
      'SCENARIO_CONFLICT',
      'hmm.steps: at most one hibernate step (one image, one resume)',
      m.get('steps')!.value,
    );
  }
  return { driver, processes, steps };
}
