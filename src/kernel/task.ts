/**
 * Tasks (kernel/fork.c, kernel/exit.c, kernel/signal.c): a task owns an mm
 * and a file table; fork() duplicates both (dup_mmap / dup_fd), exit tears
 * them down (exit_files, exit_mmap), kill() delivers a fatal signal,
 * waitpid() reaps a zombie and returns the wait status
 * (exit code << 8, or the signal number).
 */
import { UserCpu } from '../arch/x86/user-fault.js';
import type { MmContext } from '../mm/context.js';
import { dupMmap } from '../mm/fork.js';
import { MmStruct } from '../mm/mm-struct.js';
import { exitMmap } from '../mm/mmap.js';
import type { OpenFile } from './files.js';

export const SIGKILL = 9;
export const SIGTERM = 15;

export class Task {
  readonly files = new Map<number, OpenFile>();
  state: 'running' | 'zombie' | 'reaped' = 'running';
  /** Wait status once a zombie. */
  status = 0;
  readonly cpu: UserCpu;
  constructor(
    readonly pid: number,
    readonly mm: MmStruct,
    readonly parent: Task | null,
    /** CAP_SYS_ADMIN (pagemap shows pfns only then). */
    public capSysAdmin = false,
  ) {
    this.cpu = new UserCpu(mm.ctx, mm);
  }
}

/** Thrown inside a task's code when it exits (exit(2) or a fatal signal). */
export class TaskExit extends Error {
  constructor(readonly status: number) {
    super(`task exit ${status}`);
  }
}

export class Tasks {
  readonly all = new Map<number, Task>();
  private nextPid = 1;
  constructor(readonly ctx: MmContext) {}

  /** The first task (init-like), with a fresh mm. */
  spawn(capSysAdmin = false): Task {
    const pid = this.nextPid++;
    const t = new Task(pid, new MmStruct(this.ctx, pid), null, capSysAdmin);
    this.all.set(pid, t);
    return t;
  }

  /** copy_process(): dup_mmap + dup_fd. */
  fork(parent: Task): Task {
    const pid = this.nextPid++;
    const mm = dupMmap(this.ctx, parent.mm, pid);
    const t = new Task(pid, mm, parent, parent.capSysAdmin);
    for (const [fd, f] of parent.files) {
      f.refs++;
      t.files.set(fd, f);
    }
    this.all.set(pid, t);
    return t;
  }

  /** do_exit(): exit_files (the last fput releases), exit_mmap; the task becomes a zombie. */
  exit(t: Task, status: number): void {
    if (t.state !== 'running') return;
    for (const f of t.files.values()) f.put();
    t.files.clear();
    exitMmap(this.ctx, t.mm);
    t.state = 'zombie';
    t.status = status;
  }

  /** kill(pid, sig): a fatal signal ends the task. */
  kill(pid: number, sig: number): number {
    const t = this.all.get(pid);
    if (t?.state !== 'running') return -3; // -ESRCH
    this.exit(t, sig & 0x7f);
    return 0;
  }

  /** waitpid(pid, &status, 0). */
  waitpid(pid: number): { pid: number; status: number } {
    const t = this.all.get(pid);
    if (t?.state !== 'zombie') return { pid: -10, status: 0 }; // -ECHILD (a running child would block forever)
    t.state = 'reaped';
    this.all.delete(pid);
    return { pid, status: t.status };
  }
}

export const WIFEXITED = (s: number): boolean => (s & 0x7f) === 0;
export const WEXITSTATUS = (s: number): number => (s >> 8) & 0xff;
export const WIFSIGNALED = (s: number): boolean => (s & 0x7f) !== 0 && (s & 0x7f) !== 0x7f;
export const WTERMSIG = (s: number): number => s & 0x7f;
