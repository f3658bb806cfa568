/** Run the hiblab CLI in-process with captured stdout/stderr. */
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

export async function cli(argv: string[]): Promise<Captured> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTty: false,
    exitCode: 0,
  };
  const code = await runCli(argv, io);
  return { code, out, err };
}
