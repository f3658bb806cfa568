/**
 * flat(): make V8 store a built string as one flat sequence.
 *
 * A template literal or `+` builds a rope (a tree of ConsString nodes, ~32
 * bytes each, over the pieces). A log line kept for the rest of the run as a
 * rope costs ~400 bytes where its text is ~70; a 100k-entry e820 table keeps
 * a few hundred thousand such lines (firmware map, nosave registrations, the
 * report). Reading a character flattens the rope in place, and the next GC
 * drops the tree. Engines without ropes lose nothing.
 */
let sink = 0;

export function flat(s: string): string {
  // Kept observable so an optimising compiler cannot drop the read.
  sink ^= s.length === 0 ? 0 : s.charCodeAt(0);
  return s;
}

/** For tests: the value the reads folded into (never meaningful). */
export function flatSink(): number {
  return sink;
}
