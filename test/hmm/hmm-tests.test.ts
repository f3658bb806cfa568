import { describe, expect, it } from 'vitest';
import { getProfile } from '../../src/profiles/index.js';
import { runHmmTests } from '../../src/selftests/hmm-tests/run.js';

describe('hmm-tests port (linux-6.12)', () => {
  const results = runHmmTests(getProfile('linux-6.12'));
  for (const r of results) {
    it(r.name, () => {
      expect(r.message ?? '').toBe('');
      expect(r.result).toBe('pass');
    });
  }
});
