/**
 * The crash-style inspector as a library: every command of `hiblab crash` is
 * a function here (what `--lib` prints), plus the session that runs command
 * lines. Everything reads kernel memory through `KernelMemory` and the
 * profile's struct tables.
 */
export { type Command, type CommandContext, type SessionState, valueAddress } from './command.js';
export { formatBacktrace, formatRegs } from './commands/bt.js';
export { evalInteger, formatEval } from './commands/eval.js';
export {
  allPages,
  type FreeList,
  memInfo,
  pfnOfAddress,
  presentSections,
  type SectionInfo,
  sectionState,
  zoneFreeLists,
} from './commands/kmem.js';
export { walkList } from './commands/list.js';
export { printExpression } from './commands/p.js';
export { formatPtov, ptov } from './commands/ptov.js';
export { rdLines } from './commands/rd.js';
export { declarationLines, memberLines, resolveMember } from './commands/struct.js';
export { symLines } from './commands/sym.js';
export { sysLines } from './commands/sys.js';
export { formatVtop, type VtopResult, vtop } from './commands/vtop.js';
export { examine, parseXFormat } from './commands/x.js';
export { type CType, declare, parseType, sizeOf, typeName } from './ctype.js';
export { type DumpLike, dumpTarget } from './dump-target.js';
export { InspectError } from './errors.js';
export { evaluate, evaluateText, type Value } from './expr-eval.js';
export { type Expr, parseExpression } from './expr-parse.js';
export { formatTopLevel, formatValue } from './format-value.js';
export {
  formatPageLine,
  nodes,
  PAGE_HEADER,
  pageOffsetBase,
  readPage,
  vmemmapBase,
  zones,
} from './kernel.js';
export { breToJs, parseFilter, splitPipes } from './pipe.js';
export { type CommandResult, InspectSession } from './session.js';
export type { BtFrame, InspectTarget, PanicTask, PtRegs } from './target.js';
