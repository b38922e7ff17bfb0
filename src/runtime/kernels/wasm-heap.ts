// Building blocks for wasm kernels written in TypeScript: calling the backend's stock kernels
// directly (below the engine, as kernels do), allocating outputs on the wasm heap, and moving data
// between heap tensors with plain loops (channel gathers, scatters, transposes, im2col).
//
// Heap views: allocating (makeOutput, or any stock kernel) may grow the wasm memory, which detaches
// every view taken before. Every helper here takes its views after the allocations it depends on.
import * as tf from "@tensorflow/tfjs";

export type KernelFunction = tf.KernelFunc;
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** The parts of BackendWasm the TypeScript kernels use (public methods of the class). */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): HeapArray;
  disposeData(dataId: tf.DataId): boolean;
}

export const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The intermediate results of one kernel: stock kernel calls and heap allocations, freed when the
 * kernel finishes (all but its output) or as soon as the caller releases them.
 */
export class KernelCalls {
  private readonly temporaries = new Set<tf.TensorInfo>();
  readonly heap: WasmHeapBackend;

  constructor(
    readonly backend: tf.KernelBackend,
    private readonly stock: ReadonlyMap<string, KernelFunction>,
  ) {
    this.heap = backend as unknown as WasmHeapBackend;
  }

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernelFunc = this.stock.get(kernelName);
    if (kernelFunc === undefined) {
      throw new Error(`wasm training kernels: stock kernel '${kernelName}' is not available`);
    }
    const out = kernelFunc({ inputs, backend: this.backend, attrs }) as tf.TensorInfo;
    this.temporaries.add(out);
    return out;
  }

  /** A new float32 heap tensor (uninitialised unless `zero`). */
  alloc(shape: number[], zero = false): tf.TensorInfo {
    const out = this.heap.makeOutput(shape, "float32");
    this.temporaries.add(out);
    if (zero) this.view(out).fill(0);
    return out;
  }

  view(t: tf.TensorInfo): Float32Array {
    return this.heap.typedArrayFromHeap(t) as Float32Array;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Frees intermediates early (each must be one this object made and not the kernel's output). */
  release(...infos: tf.TensorInfo[]): void {
    for (const t of infos) {
      if (this.temporaries.delete(t)) this.heap.disposeData(t.dataId);
    }
  }

  /** Marks `out` as the kernel's result (not freed) and frees every other intermediate. */
  finish(out: tf.TensorInfo): tf.TensorInfo {
    this.temporaries.delete(out);
    this.abandon();
    return out;
  }

  /** Frees all intermediates (used when a kernel throws half-way). */
  abandon(): void {
    for (const t of this.temporaries) this.heap.disposeData(t.dataId);
    this.temporaries.clear();
  }
}

export function withCalls(
  stock: ReadonlyMap<string, KernelFunction>,
  body: (calls: KernelCalls, args: Parameters<KernelFunction>[0]) => tf.TensorInfo,
): KernelFunction {
  return (args) => {
    const calls = new KernelCalls(args.backend as tf.KernelBackend, stock);
    try {
      return calls.finish(body(calls, args));
    } catch (error) {
      calls.abandon();
      throw error;
    }
  };
}

/**
 * Copies `count` blocks of `blockLength` elements between flat arrays, block b going from
 * src[srcOffset + b·srcStride] to dst[dstOffset + b·dstStride].
 */
export function copyBlocks(
  src: HeapArray,
  srcOffset: number,
  srcStride: number,
  dst: HeapArray,
  dstOffset: number,
  dstStride: number,
  count: number,
  blockLength: number,
): void {
  if (blockLength >= 64) {
    for (let b = 0; b < count; b++) {
      const from = srcOffset + b * srcStride;
      dst.set(src.subarray(from, from + blockLength), dstOffset + b * dstStride);
    }
    return;
  }
  // Short rows: an element loop beats one set() call per row by a wide margin.
  for (let b = 0; b < count; b++) {
    let from = srcOffset + b * srcStride;
    let to = dstOffset + b * dstStride;
    for (let i = 0; i < blockLength; i++) dst[to++] = src[from++];
  }
}

/** Channels [first, first + count) of a channels-last tensor, as a new tensor. */
export function gatherChannels(calls: KernelCalls, x: tf.TensorInfo, first: number, count: number): tf.TensorInfo {
  const channels = x.shape[x.shape.length - 1];
  const shape = [...x.shape.slice(0, -1), count];
  const out = calls.alloc(shape);
  const rows = product(x.shape) / channels;
  copyBlocks(calls.view(x), first, channels, calls.view(out), 0, count, rows, count);
  return out;
}

/** Writes `part` (channels-last, C' channels) into channels [first, first + C') of `into`. */
export function scatterChannels(calls: KernelCalls, part: tf.TensorInfo, into: tf.TensorInfo, first: number): void {
  const count = part.shape[part.shape.length - 1];
  const channels = into.shape[into.shape.length - 1];
  const rows = product(part.shape) / count;
  copyBlocks(calls.view(part), 0, count, calls.view(into), first, channels, rows, count);
}

/**
 * [rows, cols] → [cols, rows]. Blocked so that reads of a block of rows stay in cache while every
 * output row is written contiguously (the stock Transpose kernel is 2–3x slower on tall matrices).
 */
export function transpose2d(calls: KernelCalls, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const out = calls.alloc([cols, rows]);
  const src = calls.view(x);
  const dst = calls.view(out);
  const block = Math.max(16, Math.floor(16384 / cols));
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c = 0; c < cols; c++) {
      let d = c * rows + r0;
      for (let s = r0 * cols + c, r = r0; r < r1; r++, s += cols) dst[d++] = src[s];
    }
  }
  return out;
}

/** Every `stride`-th pixel of an NHWC tensor from (0, 0): [N, outH, outW, C]. */
export function subsample(
  calls: KernelCalls,
  x: tf.TensorInfo,
  strideH: number,
  strideW: number,
  outH: number,
  outW: number,
): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  const out = calls.alloc([n, outH, outW, c]);
  const src = calls.view(x);
  const dst = calls.view(out);
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outH; y++) {
      const row = (b * h + y * strideH) * w;
      for (let xx = 0; xx < outW; xx++) {
        const s = (row + xx * strideW) * c;
        for (let k = 0; k < c; k++) dst[d++] = src[s + k];
      }
    }
  }
  return out;
}

/**
 * The zero-dilated [N, rows, cols, C] tensor with x[n, h, w] at (h·strideH, w·strideW); rows and
 * columns past the last copied pixel are zero (or cut off when rows/cols are smaller).
 */
export function dilateInto(
  calls: KernelCalls,
  x: tf.TensorInfo,
  strideH: number,
  strideW: number,
  rows: number,
  cols: number,
): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  const out = calls.alloc([n, rows, cols, c], true);
  const src = calls.view(x);
  const dst = calls.view(out);
  const usedH = Math.min(h, Math.ceil(rows / strideH));
  const usedW = Math.min(w, Math.ceil(cols / strideW));
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < usedH; y++) {
      for (let xx = 0; xx < usedW; xx++) {
        const s = ((b * h + y) * w + xx) * c;
        const d = ((b * rows + y * strideH) * cols + xx * strideW) * c;
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k];
      }
    }
  }
  return out;
}

/**
 * Transposed im2col: row (kh·KW + kw)·C + c, column m = (n·OH + oh)·OW + ow holds
 * x[n, oh·strideH + kh − padTop, ow·strideW + kw − padLeft, c] (0 outside the image).
 * Returns [KH·KW·C, N·OH·OW].
 */
export function im2colTransposed(
  calls: KernelCalls,
  x: tf.TensorInfo,
  geometry: { kh: number; kw: number; strideH: number; strideW: number; padTop: number; padLeft: number; outH: number; outW: number },
): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  const { kh, kw, strideH, strideW, padTop, padLeft, outH, outW } = geometry;
  const pixels = n * outH * outW;
  const out = calls.alloc([kh * kw * c, pixels]);
  const src = calls.view(x);
  const dst = calls.view(out);
  let m = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, m++) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * strideH + i - padTop;
          const inside = iy >= 0 && iy < h;
          for (let j = 0; j < kw; j++) {
            const ix = ox * strideW + j - padLeft;
            let row = ((i * kw + j) * c) * pixels + m;
            if (!inside || ix < 0 || ix >= w) {
              for (let k = 0; k < c; k++, row += pixels) dst[row] = 0;
              continue;
            }
            const s = ((b * h + iy) * w + ix) * c;
            for (let k = 0; k < c; k++, row += pixels) dst[row] = src[s + k];
          }
        }
      }
    }
  }
  return out;
}
