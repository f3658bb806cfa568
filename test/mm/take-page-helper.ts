import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { linux612 } from '../../src/profiles/index.js';

/** A 512 MiB machine: RAM [1 MiB, 512 MiB). */
export function bootTiny(): Machine {
  const e = [
    { addr: 0n, size: 0x9f000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x1ff00000n, type: E820_TYPE.RAM },
  ];
  return bootMachine({ firmware: e, kernel: e }, { profile: linux612, kaslr: { nokaslr: true } });
}
