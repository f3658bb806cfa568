/** The kernel profiles hiblab knows, by id. Adding a kernel = a new file + one line here. */
import { UsageError } from '../errors.js';
import { linux310 } from './linux-3.10.js';
import { linux612 } from './linux-6.12.js';
import type { KernelProfile } from './types.js';

export type { KernelProfile } from './types.js';

export const PROFILES: readonly KernelProfile[] = [linux310, linux612];

export function getProfile(id: string): KernelProfile {
  const p = PROFILES.find((x) => x.id === id);
  if (!p) {
    throw new UsageError(
      'PROFILE_UNKNOWN',
      `unknown kernel profile '${id}' (expected one of: ${PROFILES.map((x) => x.id).join(', ')})`,
    );
  }
  return p;
}

export { linux310, linux612 };
