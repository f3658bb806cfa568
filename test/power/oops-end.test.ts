/**
 * How an oops ends (oops_end() → panic_on_oops, else make_task_dead() →
 * do_exit()): RHEL 7 kernels panic on every oops ("Fatal exception", the seed
 * 000 vmcore exists because of it); Debian and the tiny builds leave
 * panic_on_oops at 0, so only the init task's death panics.
 */
import { describe, expect, it } from 'vitest';
import { oopsEnd } from '../../src/power/oops.js';
import { getProfile } from '../../src/profiles/index.js';

describe('oopsEnd', () => {
  it('linux-3.10 (RHEL 7, panic_on_oops=1): Fatal exception whoever oopsed', () => {
    const m = { profile: getProfile('linux-3.10') };
    expect(oopsEnd(m, { pid: 318 })).toEqual(['Kernel panic - not syncing: Fatal exception']);
    expect(oopsEnd(m, { pid: 1 })).toEqual(['Kernel panic - not syncing: Fatal exception']);
  });
  for (const id of ['linux-6.12', 'linux-6.1', 'linux-6.12/tiny']) {
    it(`${id}: PID 1 (initramfs /init or kernel_init's late_initcall) → Attempted to kill init!`, () => {
      const m = { profile: getProfile(id) };
      // SIGKILL (9) is the exit code make_task_dead() passes for an oops.
      expect(oopsEnd(m, { pid: 1 })).toEqual([
        'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009',
      ]);
      expect(oopsEnd(m, { pid: 318 })).toEqual([]);
    });
  }
});
