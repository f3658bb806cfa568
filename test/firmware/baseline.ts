/** Golden-file compare for firmware CLI output (test/baselines/firmware/). */
import { expectBaseline as expectIn } from '../helpers/baseline.js';

export function expectBaseline(name: string, actual: string): void {
  expectIn('firmware', name, actual);
}
