#!/usr/bin/env node
/** `hiblab` executable entry point. */
import '../node/install-fast-paths.js'; // native zlib.crc32 for the codecs
import { processIo } from './io.js';
import { runCli } from './program.js';

const io = processIo();
runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`hiblab: internal error: ${String(e)}\n`);
    process.exitCode = 70;
  },
);
