/**
 * A kernel console with simulated time: every line gets a printk timestamp
 * "[%5lu.%06lu] " from a clock the model advances by modelled costs, so the
 * same scenario prints the same console on every machine.
 */
import { flat } from '../util/flat.js';

export class KernelConsole {
  readonly lines: string[] = [];
  /** Simulated time in microseconds since this kernel booted. */
  private us: number;
  /** Called with every line as it is stored in `lines` (timestamp included): live output, event sinks. */
  onLine: ((line: string) => void) | null = null;

  constructor(startSeconds = 0) {
    this.us = Math.round(startSeconds * 1e6);
  }

  /** Current simulated time in milliseconds (a Clock for the image writer/reader). */
  nowMs = (): number => this.us / 1000;

  advanceMs(ms: number): void {
    this.us += Math.max(0, Math.round(ms * 1000));
  }

  /** printk(): a timestamped line (continuation lines are printed without one, like pr_cont). */
  print(line: string): void {
    const s = Math.floor(this.us / 1e6);
    const frac = String(this.us % 1e6).padStart(6, '0');
    const stamped = flat(`[${String(s).padStart(5)}.${frac}] ${line}`);
    this.lines.push(stamped);
    this.onLine?.(stamped);
    this.us += 37; // printk itself takes time; keeps timestamps strictly increasing
  }

  /** A line without timestamp (user space output, e.g. the init script). */
  raw(line: string): void {
    this.lines.push(line);
    this.onLine?.(line);
  }
}
