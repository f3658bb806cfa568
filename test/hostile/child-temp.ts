/**
 * Child process for the interruption test: opens an AtomicFileWriter for the
 * target given in argv, writes a little, says "ready" and waits to be killed.
 */
import { AtomicFileWriter } from '../../src/node/files.js';

const w = new AtomicFileWriter(process.argv[2]!, false);
w.writeAt(new Uint8Array(4096).fill(1), 1 << 30); // a large sparse temporary, like a swap image
process.stdout.write(`ready ${w.tempPath}\n`);
setInterval(() => undefined, 1000);
