/** Golden-file compare for boot CLI output (test/baselines/boot/). */
import { expectBaseline as expectIn } from '../helpers/baseline.js';

export function expectBaseline(name: string, actual: string): void {
  expectIn('boot', name, actual);
}
