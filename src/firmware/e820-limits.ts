/** Bounds on what an e820 input may claim, so hostile files cannot exhaust memory. */

/** Largest input file accepted (bytes). */
export const E820_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Most table entries accepted from one input (all boots together). */
export const E820_MAX_ENTRIES = 100_000;
