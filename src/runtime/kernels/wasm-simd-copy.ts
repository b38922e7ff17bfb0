// Strided block copies (channel gathers and scatters) as generated 128-bit SIMD functions on the
// wasm backend's memory. A grouped convolution's per-group path copies each group's channels out
// of the activation and its result back in: with 8-channel groups those are 32-byte blocks, which
// TypeScript moves at ~0.7 ns a value (a third of a grouped forward pass on the quickstart's
// largest activation) and two vector loads and stores move several times faster.
import type * as tf from "@tensorflow/tfjs";
import type { ModuleWriter } from "./wasm-assembler.js";
import { simdModule, type SimdExports } from "./wasm-simd.js";

/** Blocks of up to this many vectors have an unrolled function each; longer ones loop. */
const UNROLLED_VECTORS = 4;

const unrolledName = (vectors: number) => `copy_${vectors}`;

function writeCopies(module: ModuleWriter): void {
  // copy_V(src, srcStride, dst, dstStride, count): count blocks of V vectors (4V floats).
  for (let vectors = 1; vectors <= UNROLLED_VECTORS; vectors++) {
    module.addFunction(unrolledName(vectors), ["i32", "i32", "i32", "i32", "i32"], (f) => {
      const [src, srcStride, dst, dstStride, count] = [0, 1, 2, 3, 4].map((i) => f.param(i));
      f.countdown(count, () => {
        for (let v = 0; v < vectors; v++) f.get(dst).get(src).v128Load(16 * v).v128Store(16 * v);
        f.addTo(src, srcStride).addTo(dst, dstStride);
      });
    });
  }
  // copy(src, srcStride, dst, dstStride, count, vectors): the same for any number of vectors.
  module.addFunction("copy", ["i32", "i32", "i32", "i32", "i32", "i32"], (f) => {
    const [src, srcStride, dst, dstStride, count, vectors] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
    const [from, to, remaining] = [f.local("i32"), f.local("i32"), f.local("i32")];
    f.countdown(count, () => {
      f.get(src).set(from).get(dst).set(to).get(vectors).set(remaining);
      f.countdown(remaining, () => {
        f.get(to).get(from).v128Load().v128Store();
        f.addConstant(from, 16).addConstant(to, 16);
      });
      f.addTo(src, srcStride).addTo(dst, dstStride);
    });
  });
}

/**
 * Copies `count` blocks of `blockLength` floats, block b from float offset srcAt + b·srcStride to
 * dstAt + b·dstStride of the backend's heap. Returns false, having copied nothing, where the SIMD
 * function cannot run (see simdModule; a block length not a multiple of 4).
 */
export function simdCopyBlocks(
  backend: tf.KernelBackend,
  srcAt: number,
  srcStride: number,
  dstAt: number,
  dstStride: number,
  count: number,
  blockLength: number,
): boolean {
  if (blockLength % 4 !== 0) return false;
  const simd: SimdExports | null = simdModule(backend, "copies", writeCopies);
  if (simd === null) return false;
  if (count <= 0 || blockLength === 0) return true;
  const vectors = blockLength / 4;
  if (vectors <= UNROLLED_VECTORS) simd[unrolledName(vectors)](4 * srcAt, 4 * srcStride, 4 * dstAt, 4 * dstStride, count);
  else simd.copy(4 * srcAt, 4 * srcStride, 4 * dstAt, 4 * dstStride, count, vectors);
  return true;
}
