// Building blocks for wasm kernels written in TypeScript: calling the backend's stock kernels
// directly (below the engine, as kernels do), allocating outputs on the wasm heap, and moving data
// between heap tensors with plain loops (channel gathers, scatters, transposes, im2col).
//
// Heap views: allocating (makeOutput, or any stock kernel) may grow the wasm memory, which detaches
// every view taken before. Every helper here takes its views after the allocations it depends on.
import * as tf from "@tensorflow/tfjs";
import { heapOffset } from "./wasm-simd.js";
import { simdCopyBlocks } from "./wasm-simd-copy.js";

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

  /** A float32 heap tensor that outlives the kernel (owned by the caller, e.g. `derivedTensors`). */
  persistent(shape: number[]): tf.TensorInfo {
    return this.heap.makeOutput(shape, "float32");
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

  /** Marks extra results of a kernel with several outputs: they survive `finish`. */
  keep(...infos: tf.TensorInfo[]): void {
    for (const t of infos) this.temporaries.delete(t);
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

interface DerivedEntry {
  readonly backend: WasmHeapBackend & { refCount(dataId: tf.DataId): number };
  readonly byKey: Map<string, tf.TensorInfo[]>;
}

const derivedCache = new Map<tf.DataId, DerivedEntry>();

/**
 * Tensors derived from a weight tensor (per-group slices, transposed or flipped filters, ...), made
 * once and kept while the weight's data lives. A training step uses each filter four times
 * (forward and backward, two crop sizes); keeping what is derived from it also keeps XNNPACK's
 * operators for those tensors (cached by tensor id), so their weights are packed once per step
 * instead of once per call. `make` allocates with `calls.persistent`. Entries of weights that no
 * longer exist (a variable gets new data at every update) are freed on the next call.
 */
export function derivedTensors(calls: KernelCalls, source: tf.TensorInfo, key: string, make: () => tf.TensorInfo[]): tf.TensorInfo[] {
  for (const [dataId, entry] of derivedCache) {
    if (entry.backend.refCount(dataId) > 0) continue;
    for (const tensors of entry.byKey.values()) for (const t of tensors) entry.backend.disposeData(t.dataId);
    derivedCache.delete(dataId);
  }
  let entry = derivedCache.get(source.dataId);
  if (entry === undefined) {
    entry = { backend: calls.heap as DerivedEntry["backend"], byKey: new Map() };
    derivedCache.set(source.dataId, entry);
  }
  let tensors = entry.byKey.get(key);
  if (tensors === undefined) {
    tensors = make();
    entry.byKey.set(key, tensors);
  }
  return tensors;
}

/** withCalls for a kernel with several outputs. */
export function withCallsMany(
  stock: ReadonlyMap<string, KernelFunction>,
  body: (calls: KernelCalls, args: Parameters<KernelFunction>[0]) => tf.TensorInfo[],
): KernelFunction {
  return (args) => {
    const calls = new KernelCalls(args.backend as tf.KernelBackend, stock);
    try {
      const outputs = body(calls, args);
      calls.keep(...outputs);
      calls.abandon();
      return outputs;
    } catch (error) {
      calls.abandon();
      throw error;
    }
  };
}

let wholeHeap: { buffer: ArrayBufferLike; int32: Int32Array } | null = null;

/** One 32-bit integer view of the whole heap, made again only when the heap buffer changes. */
function heapInt32(buffer: ArrayBufferLike): Int32Array {
  if (wholeHeap === null || wholeHeap.buffer !== buffer) wholeHeap = { buffer, int32: new Int32Array(buffer) };
  return wholeHeap.int32;
}

/**
 * Copies `count` blocks of `blockLength` elements between flat arrays, block b going from
 * src[srcOffset + b·srcStride] to dst[dstOffset + b·dstStride].
 *
 * 4-byte elements on the same heap are moved through one integer view of the whole heap
 * (bit-exact, no float conversions, no view object per call): long rows with copyWithin, shorter
 * ones (a group's 8 channels, typically) with unrolled loops, which beat one set() call per row by
 * 8x and a float loop by 2x (measured on a 64x32x32x24 activation); a copyWithin call costs about
 * as much as a loop over a few hundred values.
 */
export function copyBlocks(
  source: HeapArray,
  srcOffset: number,
  srcStride: number,
  destination: HeapArray,
  dstOffset: number,
  dstStride: number,
  count: number,
  blockLength: number,
): void {
  if (source instanceof Uint8Array || destination instanceof Uint8Array || source.buffer !== destination.buffer) {
    for (let b = 0; b < count; b++) {
      const from = srcOffset + b * srcStride;
      destination.set(source.subarray(from, from + blockLength), dstOffset + b * dstStride);
    }
    return;
  }
  const heap = heapInt32(source.buffer);
  const s0 = source.byteOffset / 4 + srcOffset;
  const d0 = destination.byteOffset / 4 + dstOffset;
  if (blockLength >= 256) {
    for (let b = 0; b < count; b++) {
      const from = s0 + b * srcStride;
      heap.copyWithin(d0 + b * dstStride, from, from + blockLength);
    }
    return;
  }
  if (blockLength === 8) {
    for (let b = 0; b < count; b++) {
      const from = s0 + b * srcStride;
      const to = d0 + b * dstStride;
      heap[to] = heap[from];
      heap[to + 1] = heap[from + 1];
      heap[to + 2] = heap[from + 2];
      heap[to + 3] = heap[from + 3];
      heap[to + 4] = heap[from + 4];
      heap[to + 5] = heap[from + 5];
      heap[to + 6] = heap[from + 6];
      heap[to + 7] = heap[from + 7];
    }
    return;
  }
  if (blockLength % 4 === 0) {
    for (let b = 0; b < count; b++) {
      const from = s0 + b * srcStride;
      const to = d0 + b * dstStride;
      for (let i = 0; i < blockLength; i += 4) {
        heap[to + i] = heap[from + i];
        heap[to + i + 1] = heap[from + i + 1];
        heap[to + i + 2] = heap[from + i + 2];
        heap[to + i + 3] = heap[from + i + 3];
      }
    }
    return;
  }
  for (let b = 0; b < count; b++) {
    let from = s0 + b * srcStride;
    let to = d0 + b * dstStride;
    for (let i = 0; i < blockLength; i++) heap[to++] = heap[from++];
  }
}

/**
 * A 2-D grid of blocks: block (i, j) goes from src[srcOffset + (i·cols + j)·blockLength] (a dense
 * [rows, cols, blockLength] source) to dst[dstOffset + i·dstRowStride + j·dstColStride].
 */
export function scatterGrid(
  source: Float32Array,
  srcOffset: number,
  destination: Float32Array,
  dstOffset: number,
  rows: number,
  cols: number,
  blockLength: number,
  dstRowStride: number,
  dstColStride: number,
): void {
  const heap = heapInt32(source.buffer);
  const s0 = source.byteOffset / 4 + srcOffset;
  const d0 = destination.byteOffset / 4 + dstOffset;
  let from = s0;
  for (let i = 0; i < rows; i++) {
    let to = d0 + i * dstRowStride;
    for (let j = 0; j < cols; j++, to += dstColStride, from += blockLength) {
      for (let k = 0; k < blockLength; k++) heap[to + k] = heap[from + k];
    }
  }
}

/**
 * copyBlocks between two float32 heap tensors: with the generated SIMD copy where it runs, else
 * with copyBlocks.
 */
function copyTensorBlocks(
  calls: KernelCalls,
  source: tf.TensorInfo,
  srcOffset: number,
  srcStride: number,
  destination: tf.TensorInfo,
  dstOffset: number,
  dstStride: number,
  count: number,
  blockLength: number,
): void {
  const src = calls.view(source);
  const dst = calls.view(destination);
  const srcAt = heapOffset(src) + srcOffset;
  const dstAt = heapOffset(dst) + dstOffset;
  if (simdCopyBlocks(calls.backend, srcAt, srcStride, dstAt, dstStride, count, blockLength)) return;
  copyBlocks(src, srcOffset, srcStride, dst, dstOffset, dstStride, count, blockLength);
}

/** Channels [first, first + count) of a channels-last tensor, as a new tensor. */
export function gatherChannels(calls: KernelCalls, x: tf.TensorInfo, first: number, count: number): tf.TensorInfo {
  const channels = x.shape[x.shape.length - 1];
  const shape = [...x.shape.slice(0, -1), count];
  const out = calls.alloc(shape);
  const rows = product(x.shape) / channels;
  copyTensorBlocks(calls, x, first, channels, out, 0, count, rows, count);
  return out;
}

/** Writes `part` (channels-last, C' channels) into channels [first, first + C') of `into`. */
export function scatterChannels(calls: KernelCalls, part: tf.TensorInfo, into: tf.TensorInfo, first: number): void {
  const count = part.shape[part.shape.length - 1];
  const channels = into.shape[into.shape.length - 1];
  const rows = product(part.shape) / count;
  copyTensorBlocks(calls, part, 0, count, into, first, channels, rows, count);
}

/**
 * [rows, cols] → [cols, rows]. Eight source rows at a time, so every column of the block is
 * written as eight consecutive values (2.4x faster than a cache-blocked loop and 5x faster than the
 * stock Transpose kernel on a 65536x32 matrix).
 */
export function transpose2d(calls: KernelCalls, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const out = calls.alloc([cols, rows]);
  transposeInto(calls.view(x), 0, calls.view(out), 0, rows, cols);
  return out;
}

/** src[srcOffset..] read as [rows, cols], written transposed to dst[dstOffset..] as [cols, rows]. */
export function transposeInto(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, rows: number, cols: number): void {
  const whole = rows - (rows % 8);
  for (let r = 0; r < whole; r += 8) {
    const base = srcOffset + r * cols;
    for (let c = 0; c < cols; c++) {
      const s = base + c;
      const d = dstOffset + c * rows + r;
      const a0 = src[s];
      const a1 = src[s + cols];
      const a2 = src[s + 2 * cols];
      const a3 = src[s + 3 * cols];
      const a4 = src[s + 4 * cols];
      const a5 = src[s + 5 * cols];
      const a6 = src[s + 6 * cols];
      const a7 = src[s + 7 * cols];
      dst[d] = a0;
      dst[d + 1] = a1;
      dst[d + 2] = a2;
      dst[d + 3] = a3;
      dst[d + 4] = a4;
      dst[d + 5] = a5;
      dst[d + 6] = a6;
      dst[d + 7] = a7;
    }
  }
  for (let r = whole; r < rows; r++) {
    for (let c = 0; c < cols; c++) dst[dstOffset + c * rows + r] = src[srcOffset + r * cols + c];
  }
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
 * Returns [KH·KW·C, N·OH·OW]. Built pixel by pixel (contiguous writes), then transposed.
 */
export function im2colTransposed(
  calls: KernelCalls,
  x: tf.TensorInfo,
  geometry: { kh: number; kw: number; strideH: number; strideW: number; padTop: number; padLeft: number; outH: number; outW: number },
): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  const { kh, kw, strideH, strideW, padTop, padLeft, outH, outW } = geometry;
  const pixels = n * outH * outW;
  const patch = kh * kw * c;
  const columns = calls.alloc([pixels, patch]);
  const src = calls.view(x);
  const dst = calls.view(columns);
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let i = 0; i < kh; i++) {
          const iy = oy * strideH + i - padTop;
          for (let j = 0; j < kw; j++) {
            const ix = ox * strideW + j - padLeft;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              for (let k = 0; k < c; k++) dst[d++] = 0;
              continue;
            }
            const s = ((b * h + iy) * w + ix) * c;
            for (let k = 0; k < c; k++) dst[d++] = src[s + k];
          }
        }
      }
    }
  }
  const out = transpose2d(calls, columns, pixels, patch);
  calls.release(columns);
  return out;
}
