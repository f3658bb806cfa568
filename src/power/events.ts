/**
 * Structured events of a hibernate + resume run, handed to an injected sink
 * (the CLI's progress bars, a browser view, a sweep's collector). The engine
 * emits them where the kernel does the work; nothing here formats text.
 *
 * Order guarantees (test/engine/events.test.ts):
 *  - phases nest: every 'phase-start' has its 'phase-end', inner before outer;
 *  - progress events of a phase have non-decreasing `done`, the last one
 *    `done === total` when the phase ran to the end (an oops stops it early);
 *  - console events, joined per boot, are exactly the printed consoles
 *    (RunResult.suspend.console, resume.console, restoredConsole);
 *  - one 'verdict' event, last.
 */
import type { Oops } from './oops.js';

/** Which kernel printed a console line: the hibernating one, the boot kernel, the image kernel after the jump. */
export type ConsoleBoot = 'suspend' | 'resume' | 'restored';

/**
 * Phases, outer to inner:
 *   suspend-boot; hibernate ⊃ {save (create_image → swsusp_save), write-image (swsusp_write)};
 *   resume-boot; resume ⊃ {load-image (swsusp_read), restore (swsusp_arch_resume), verify}.
 */
export type Phase =
  | 'suspend-boot'
  | 'hibernate'
  | 'save'
  | 'write-image'
  | 'resume-boot'
  | 'resume'
  | 'load-image'
  | 'restore'
  | 'verify';

/** The phases that report page counts. */
export type ProgressPhase = 'write-image' | 'load-image';

/** How a run ended (the same values as a scenario's expect.outcome). */
export type RunVerdict =
  | 'resumed'
  | 'refused'
  | 'oops'
  | 'silent-corruption'
  | 'hibernate-failed'
  // HMM stories (src/scenario/hmm-story.ts)
  | 'completed'
  | 'livelock'
  | 'sigbus'
  | 'sigsegv'
  | 'data-lost';

export type EngineEvent =
  | { type: 'phase-start'; phase: Phase }
  | { type: 'phase-end'; phase: Phase }
  /** Stream pages handled so far out of `total` (save_image / load_image's nr_pages). */
  | { type: 'progress'; phase: ProgressPhase; done: number; total: number }
  /** One console line as printed, with its "[    s.us] " timestamp when it has one. */
  | { type: 'console'; boot: ConsoleBoot; line: string }
  | { type: 'oops'; boot: 'suspend' | 'resume'; oops: Oops }
  | { type: 'verdict'; verdict: RunVerdict; reason: string };

export type EventSink = (e: EngineEvent) => void;

/** Run `body` as phase `phase`: start and end events around it, the end also when it throws. */
export async function inPhase<T>(
  sink: EventSink | undefined,
  phase: Phase,
  body: () => Promise<T>,
): Promise<T> {
  sink?.({ type: 'phase-start', phase });
  try {
    return await body();
  } finally {
    sink?.({ type: 'phase-end', phase });
  }
}

/** The synchronous twin of inPhase(). */
export function inPhaseSync<T>(sink: EventSink | undefined, phase: Phase, body: () => T): T {
  sink?.({ type: 'phase-start', phase });
  try {
    return body();
  } finally {
    sink?.({ type: 'phase-end', phase });
  }
}
