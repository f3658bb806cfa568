/** Stable, pretty JSON for every report (bigints as 0x hex strings), with the trailing newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v), 2)}\n`;
}
