/**
 * The crash inspector's expression language (src/inspect): a line of text →
 * parseExpression → evaluate against seed 000's kernel objects (the fake
 * KernelMemory of test/inspect) → gdb-style printing, and the same line as
 * `p`, `eval` and `x/4xb` commands of a session (which must never throw: a
 * command error is a crash-style line). Errors are InspectErrors (one line,
 * code, no file: the input is typed at a prompt, not read from a file).
 */
import { evaluate, parseIn } from '../../src/inspect/expr-eval.js';
import { formatTopLevel } from '../../src/inspect/format-value.js';
import { InspectSession } from '../../src/inspect/session.js';
import { seed000Commands } from '../../test/inspect/seed-transcript.js';
import { seed000Fake } from '../../test/inspect/seed000-fake.js';
import type { FuzzTarget } from '../lib/types.js';

let fake: ReturnType<typeof seed000Fake> | undefined;
const target = () => {
  fake ??= seed000Fake();
  return fake;
};

const enc = (s: string) => new TextEncoder().encode(s);

export const crashExpr: FuzzTarget = {
  name: 'crash-expr',
  description:
    'crash/gdb expression text → parseExpression → evaluate → print; as p / eval / x commands of a session',
  seeds: () => [
    ...seed000Commands()
      .map((c) => /^(?:p|eval|x\/\w+) (.*)$/.exec(c.cmd)?.[1])
      .filter((e): e is string => e !== undefined)
      .map(enc),
    enc('node_data[0]->node_zones[1].name'),
    enc("sizeof(struct bm_block) * 'a' ? $1 : ~0UL >> 63"),
    enc('(struct page *)vmemmap_base + (0xbe142 - 1) - (struct page *)vmemmap_base'),
    // The one-hour run of session 8: a cast to a struct the table does not describe made pointer
    // math divide by its zero size (an exception) until stride() refused it as gdb does.
    enc('(struct qage *)vmemmap_base + (0xbe142 - 1) - (struct page *)vmemmap_base'),
    enc('(struct qage *)0x2000 - (struct qage *)0x1000'),
  ],
  dictionary: [
    'orig_bm',
    '.cur',
    '->',
    '(struct page *)',
    '(struct nosuch *)',
    '(char *)',
    '(void *)',
    '[0]',
    '*',
    '&',
    'sizeof',
    '$',
    '0x',
    '16k',
    "'\\0'",
    '(',
    ')',
  ],
  maxBytes: 4096,
  timeLimitMs: 2000,
  errorsNameFile: false,
  run(input) {
    const { km, target: t } = target();
    const text = new TextDecoder().decode(input);
    const v = evaluate({ km }, parseIn(km, text));
    formatTopLevel(km, v, { radix: 10, maxElements: 64 });
    const s = new InspectSession(t);
    const line = text.split('\n')[0]!.slice(0, 512);
    for (const cmd of [`p ${line}`, `eval ${line}`, `x/4xb ${line}`]) s.execute(cmd);
    return v.type.kind;
  },
};
