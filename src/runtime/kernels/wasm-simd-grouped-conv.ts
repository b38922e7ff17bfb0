// The input gradient of a grouped convolution as generated 128-bit SIMD functions on the wasm
// backend's memory.
//
// Through XNNPACK, each group of a strided convolution's input gradient is a gather of the group's
// dy, one small convolution per sub-pixel phase (or of a zero-dilated dy) and a scatter back, each
// with an operator set-up and a weight repack. Here every tap of the filter is a small matrix
// product applied where the data lies:
//   dx[n, oh·s + a − pt, ow·s + b − pl, g·Ci + i] += Σ_o dy[n, oh, ow, g·Co + o] · W[a, b, i, g·Co + o]
// over the output pixels (oh, ow) whose tap (a, b) lands inside the input. The register tile is 4
// pixels × up to 8 channels with the reduction (K ≤ MAX_REDUCTION channels) unrolled, so the
// tap's matrix is read with constant offsets.
//
// It runs at 6-8 GMAC/s, below XNNPACK's own convolution, so it is used where the XNNPACK
// formulation pays more than arithmetic (simdGroupedInputGradient says where). The forward pass
// written the same way was measured slower than XNNPACK's per-group convolutions on every
// RegNet shape tried, and is not used.
import * as tf from "@tensorflow/tfjs";
import type { FunctionWriter, Local, ModuleWriter } from "./wasm-assembler.js";
import { derivedTensors, type KernelCalls } from "./wasm-heap.js";
import { heapOffset, simdModule, tapWalks, writeNestedWalk, type WalkExtent } from "./wasm-simd.js";

/** Largest reduction (channels per group on the read side) the unrolled functions are made for. */
const MAX_REDUCTION = 32;
/** Pixels per register tile (the innermost walk level is cut into runs of this many). */
const PIXELS = 4;

const PARAMS = [
  "src", "matrix", "dst",
  "count0", "srcStride0", "dstStride0",
  "count1", "srcStride1", "dstStride1",
  "count2", "srcStride2", "dstStride2",
] as const;

const functionName = (pixels: number, vectors: number) => `products_${pixels}x${vectors}`;

/**
 * dst[p, 0..4V) += Σ_k src[p, k] · matrix[k, 0..4V) over the walk; level 2 moves `pixels` pixels
 * per step (count2 counts steps). The matrix is K rows of 4V values, contiguous.
 */
function writeProducts(f: FunctionWriter, reduction: number, pixels: number, vectors: number): void {
  const p = Object.fromEntries(PARAMS.map((name, index) => [name, f.param(index)])) as Record<(typeof PARAMS)[number], Local>;
  const acc = Array.from({ length: pixels }, () => Array.from({ length: vectors }, () => f.local("v128")));
  const weights = Array.from({ length: vectors }, () => f.local("v128"));
  const splat = f.local("v128");
  const srcAt = Array.from({ length: pixels }, () => f.local("i32"));
  const dstAt = Array.from({ length: pixels }, () => f.local("i32"));
  const srcStep = f.local("i32");
  const dstStep = f.local("i32");
  const levels = [
    { count: p.count0, steps: [p.srcStride0, p.dstStride0] },
    { count: p.count1, steps: [p.srcStride1, p.dstStride1] },
    { count: p.count2, steps: [srcStep, dstStep] },
  ];
  f.get(p.srcStride2).i32(pixels).i32Mul().set(srcStep);
  f.get(p.dstStride2).i32(pixels).i32Mul().set(dstStep);

  const tile = ([src, dst]: readonly Local[]) => {
    for (let q = 0; q < pixels; q++) {
      if (q === 0) {
        f.get(src).set(srcAt[0]).get(dst).set(dstAt[0]);
      } else {
        f.get(srcAt[q - 1]).get(p.srcStride2).i32Add().set(srcAt[q]);
        f.get(dstAt[q - 1]).get(p.dstStride2).i32Add().set(dstAt[q]);
      }
      for (let v = 0; v < vectors; v++) f.get(dstAt[q]).v128Load(16 * v).set(acc[q][v]);
    }
    for (let k = 0; k < reduction; k++) {
      for (let v = 0; v < vectors; v++) f.get(p.matrix).v128Load(16 * (k * vectors + v)).set(weights[v]);
      for (let q = 0; q < pixels; q++) {
        f.get(srcAt[q]).v128Load32Splat(4 * k).set(splat);
        for (let v = 0; v < vectors; v++) f.get(acc[q][v]).get(splat).get(weights[v]).f32x4Mul().f32x4Add().set(acc[q][v]);
      }
    }
    for (let q = 0; q < pixels; q++) {
      for (let v = 0; v < vectors; v++) f.get(dstAt[q]).get(acc[q][v]).v128Store(16 * v);
    }
  };
  writeNestedWalk(f, [p.src, p.dst], levels, tile);
}

function writeModule(reduction: number): (module: ModuleWriter) => void {
  return (module) => {
    for (const pixels of [1, PIXELS]) {
      for (const vectors of [1, 2]) {
        module.addFunction(functionName(pixels, vectors), PARAMS.map(() => "i32" as const), (f) => writeProducts(f, reduction, pixels, vectors));
      }
    }
  };
}

/** The grouped convolution x [N, H, W, G·Ci] → y [N, OH, OW, G·Co] (padding as tfjs computed it). */
export interface GroupedGeometry {
  readonly info: tf.backend_util.Conv2DInfo;
  readonly groups: number;
  readonly groupIn: number;
  readonly groupOut: number;
}

/**
 * Per tap, group and tile of 4V input channels, the tap's matrix [Co, 4V]: row o holds
 * W[a, b, i, g·Co + o] for the tile's i, contiguous in that order; kept with the filter
 * (derivedTensors).
 */
function tapMatrices(calls: KernelCalls, filter: tf.TensorInfo, g: GroupedGeometry, vectors: number): tf.TensorInfo {
  const [matrices] = derivedTensors(calls, filter, `tap matrices ${vectors}`, () => {
    const [kh, kw, groupIn, outChannels] = filter.shape;
    const reduction = g.groupOut;
    const written = groupIn;
    const width = 4 * vectors;
    const out = calls.persistent([kh * kw * g.groups * written * reduction]);
    const src = calls.view(filter);
    const dst = calls.view(out);
    let d = 0;
    for (let tap = 0; tap < kh * kw; tap++) {
      for (let group = 0; group < g.groups; group++) {
        for (let first = 0; first < written; first += width) {
          for (let k = 0; k < reduction; k++) {
            for (let i = first; i < first + width; i++) dst[d++] = src[(tap * groupIn + i) * outChannels + group * g.groupOut + k];
          }
        }
      }
    }
    return [out];
  });
  return matrices;
}

/**
 * dx [N, H, W, G·Ci] of a grouped convolution with the SIMD functions, or null where the XNNPACK
 * formulation is used instead: where they cannot run (see simdModule; input channels per group
 * not a multiple of 4; more than MAX_REDUCTION output channels per group) or are not faster
 * (stride 1 on feature maps over 4 pixels, measured on the quickstart's and RegNetY_200MF's
 * shapes).
 */
export function simdGroupedInputGradient(calls: KernelCalls, dy: tf.TensorInfo, filter: tf.TensorInfo, g: GroupedGeometry): tf.TensorInfo | null {
  const { info } = g;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const reduction = g.groupOut;
  const written = g.groupIn;
  const pays = sh > 1 || sw > 1 || oh * ow <= 4;
  if (!pays || written % 4 !== 0 || reduction === 0 || reduction > MAX_REDUCTION) return null;
  const simd = simdModule(calls.backend, `grouped input gradient K=${reduction}`, writeModule(reduction));
  if (simd === null) return null;
  const vectors = written % 8 === 0 ? 2 : 1;
  const dx = calls.alloc([n, h, w, inChannels], true);
  const matrices = tapMatrices(calls, filter, g, vectors);
  const xAt = heapOffset(calls.view(dx));
  const yAt = heapOffset(calls.view(dy));
  const matrixAt = heapOffset(calls.view(matrices));
  const tiles = written / (4 * vectors);
  const matrixSize = reduction * 4 * vectors;
  for (const walk of tapWalks(info)) {
    // The innermost level is cut into runs of PIXELS: the columns when there are enough of them,
    // else the images (small feature maps in late stages).
    const levels = walk.cols.count >= PIXELS ? [walk.images, walk.rows, walk.cols] : [walk.rows, walk.cols, walk.images];
    for (let group = 0; group < g.groups; group++) {
      for (let t = 0; t < tiles; t++) {
        const matrix = matrixAt + ((walk.tap * g.groups + group) * tiles + t) * matrixSize;
        runWalk(simd, vectors, yAt + walk.yOffset + group * g.groupOut, matrix, xAt + walk.xOffset + group * g.groupIn + t * 4 * vectors, levels);
      }
    }
  }
  return dx;
}

/** Calls the tile functions over the walk: runs of PIXELS on the innermost level, then the rest one by one. */
function runWalk(
  simd: Readonly<Record<string, (...args: number[]) => void>>,
  vectors: number,
  srcAt: number,
  matrixAt: number,
  dstAt: number,
  levels: readonly WalkExtent[],
): void {
  // dy is read, dx written.
  const [l0, l1, l2] = levels.map((level) => ({ count: level.count, src: 4 * level.yStride, dst: 4 * level.xStride }));
  const runs = Math.floor(l2.count / PIXELS);
  const rest = l2.count - runs * PIXELS;
  if (runs > 0) {
    simd[functionName(PIXELS, vectors)](4 * srcAt, 4 * matrixAt, 4 * dstAt, l0.count, l0.src, l0.dst, l1.count, l1.src, l1.dst, runs, l2.src, l2.dst);
  }
  if (rest > 0) {
    const skip = runs * PIXELS;
    simd[functionName(1, vectors)](4 * srcAt + skip * l2.src, 4 * matrixAt, 4 * dstAt + skip * l2.dst, l0.count, l0.src, l0.dst, l1.count, l1.src, l1.dst, rest, l2.src, l2.dst);
  }
}
