/**
 * lib/test_hmm_uapi.h: struct hmm_dmirror_cmd (five __u64: addr, ptr,
 * npages, cpages, faults — 40 bytes, little endian) and the ioctl numbers
 * _IOWR('H', nr, struct hmm_dmirror_cmd), the SNAPSHOT byte values and the
 * memory types.
 */
export const HMM_DMIRROR_CMD_SIZE = 40;

/** _IOWR('H', nr, struct hmm_dmirror_cmd) = dir 3 << 30 | size << 16 | 'H' << 8 | nr. */
export function hmmIoctl(nr: number): number {
  return ((3 << 30) | (HMM_DMIRROR_CMD_SIZE << 16) | (0x48 << 8) | nr) >>> 0;
}

export const HMM_DMIRROR_PROT_ERROR = 0xff;
export const HMM_DMIRROR_PROT_NONE = 0x00;
export const HMM_DMIRROR_PROT_READ = 0x01;
export const HMM_DMIRROR_PROT_WRITE = 0x02;
export const HMM_DMIRROR_PROT_PMD = 0x04;
export const HMM_DMIRROR_PROT_PUD = 0x08;
export const HMM_DMIRROR_PROT_ZERO = 0x10;
export const HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL = 0x20;
export const HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE = 0x30;
export const HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL = 0x40;
export const HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE = 0x50;

export const HMM_DMIRROR_MEMORY_DEVICE_PRIVATE = 1;
export const HMM_DMIRROR_MEMORY_DEVICE_COHERENT = 2;
