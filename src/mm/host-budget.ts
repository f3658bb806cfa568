/**
 * The host memory a run's model may hold in per-page state, counted, not measured.
 *
 * The structures that grow with how a workload scatters pages — not with the
 * machine's size, which limits.ts bounds — charge the bytes they allocate
 * (typed arrays, materialised frames) and release them when they drop them:
 *   struct pages  — struct-page.ts chunk pages (palette, index, free-list nodes)
 *   free lists    — buddy.ts free-list node arrays (sized by free blocks)
 *   content map   — content-map.ts per-section descriptor columns
 *   frames        — phys-mem.ts materialised 4 KiB frames and partner leaves
 * A charge past the limit stops the run with MODEL_HOST_MEMORY (exit 2),
 * before the allocation. The count is the model's own, so the verdict is the
 * same on every host; the limit is what keeps a hostile scenario's peak RSS
 * bounded (README.md, "Model size"). One budget per run, shared by its boots.
 */
import { ScenarioError } from '../errors.js';
import { humanBytes } from '../util/hex.js';

export type BudgetStructure = 'struct pages' | 'free lists' | 'content map' | 'frames';

const STRUCTURES: readonly BudgetStructure[] = ['struct pages', 'free lists', 'content map', 'frames'];

export class HostBudget {
  /** Bytes held now, per structure (STRUCTURES order). */
  private readonly held = [0, 0, 0, 0];
  private total = 0;
  /** Largest total held so far. */
  peak = 0;
  /** What the model is doing (named in the error): e.g. "the suspend boot". */
  stage = 'the model';

  /**
   * @param limit bytes the charges may add up to
   * @param scenario the scenario's name (the error names it)
   * @param raiseHint how a user raises the limit (the error says it)
   */
  constructor(
    readonly limit: number,
    readonly scenario = 'model',
    readonly raiseHint = 'hiblab run --max-mem SIZE',
  ) {}

  /** Bytes held now by all structures. */
  get used(): number {
    return this.total;
  }

  /** Bytes held now by one structure. */
  heldBy(s: BudgetStructure): number {
    return this.held[STRUCTURES.indexOf(s)]!;
  }

  /** Take `bytes` for `s`; throws MODEL_HOST_MEMORY (nothing taken) when the total would pass the limit. */
  charge(s: BudgetStructure, bytes: number): void {
    const k = STRUCTURES.indexOf(s);
    const t = this.total + bytes;
    if (t > this.limit) {
      const parts = STRUCTURES.map((n, i) => `${n} ${humanBytes(this.held[i]! + (i === k ? bytes : 0))}`);
      throw new ScenarioError(
        'MODEL_HOST_MEMORY',
        `${this.scenario}: modelling ${this.stage} needs more than ${humanBytes(this.limit)} of host memory ` +
          `for its per-page state (${parts.join(', ')} when the ${s} grew); ` +
          `${this.raiseHint} raises the budget (see "Model size" in README.md)`,
      );
    }
    this.held[k]! += bytes;
    this.total = t;
    if (t > this.peak) this.peak = t;
  }

  /** Give back bytes `s` charged. */
  release(s: BudgetStructure, bytes: number): void {
    this.held[STRUCTURES.indexOf(s)]! -= bytes;
    this.total -= bytes;
  }
}
