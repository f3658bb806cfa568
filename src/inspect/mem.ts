/**
 * Little-endian reads of kernel memory for the inspector. Every fault of the
 * underlying KernelMemory becomes gdb's "Cannot access memory at address …"
 * (or crash's "invalid kernel virtual address" where a command says so).
 */
import { HiblabError } from '../errors.js';
import type { KernelMemory } from '../machine/kernel-memory.js';
import { cannotAccess, InspectError } from './errors.js';

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export function readBytes(km: KernelMemory, addr: bigint, len: number): Uint8Array {
  try {
    return km.read(u64(addr), len);
  } catch (e) {
    if (e instanceof InspectError) throw e;
    if (e instanceof HiblabError || e instanceof RangeError) throw cannotAccess(addr);
    throw e;
  }
}

export function readPhysBytes(km: KernelMemory, paddr: bigint, len: number): Uint8Array {
  try {
    return km.readPhys(Number(paddr), len);
  } catch (e) {
    if (e instanceof InspectError) throw e;
    if (e instanceof HiblabError || e instanceof RangeError)
      throw new InspectError(
        'FAULT',
        `invalid physical address: ${paddr.toString(16)}  type: "64-bit PHYSADDR"`,
      );
    throw e;
  }
}

/** Unsigned little-endian integer of `bytes.length` (≤ 8) bytes. */
export function leUint(bytes: Uint8Array, off = 0, size = bytes.length - off): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return v;
}

export function readUint(km: KernelMemory, addr: bigint, size: number): bigint {
  return leUint(readBytes(km, addr, size));
}

export const readU64 = (km: KernelMemory, addr: bigint): bigint => readUint(km, addr, 8);

/** Sign-extend the low `bits` of v. */
export function signExtend(v: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, v);
}

/** NUL-terminated string at addr, at most `max` bytes (stops quietly at an unreadable page). */
export function readCString(
  km: KernelMemory,
  addr: bigint,
  max = 200,
): { bytes: number[]; complete: boolean } {
  const out: number[] = [];
  let a = addr;
  while (out.length < max) {
    const chunk = 64 - Number(a % 64n);
    let b: Uint8Array;
    try {
      b = readBytes(km, a, Math.min(chunk, max - out.length));
    } catch {
      return { bytes: out, complete: false };
    }
    for (const c of b) {
      if (c === 0) return { bytes: out, complete: true };
      out.push(c);
    }
    a += BigInt(b.length);
  }
  return { bytes: out, complete: false };
}

/** Hex without 0x, lowercase, of a 64-bit value. */
export const hx = (v: bigint | number): string => u64(BigInt(v)).toString(16);
