// Convolution weight gradients as a generated 128-bit SIMD kernel that runs on the wasm backend's
// memory.
//
// dW[kh,kw,i,o] = Σ_{n,oh,ow} x[n, oh·s + kh − padTop, ow·s + kw − padLeft, i] · dy[n,oh,ow,o] is,
// for each filter tap, a product of two long, thin matrices whose shared dimension is every output
// pixel. Through XNNPACK that product needs one operand transposed and the other repacked as a
// weight matrix, each at several nanoseconds a value; with the few channels of a CPU-sized RegNet
// (3 at the stem, 8 per group) that costs several times the arithmetic. The kernel here reads x and
// dy where they lie (NHWC, any channel offset and stride), keeps a tile of dW in registers while it
// walks the pixels, and so touches each input once per tile.
import type * as tf from "@tensorflow/tfjs";
import type { FunctionWriter, Local, ModuleWriter } from "./wasm-assembler.js";
import { heapOffset, simdModule, tapWalks, writeNestedWalk, type SimdFunction, type WalkExtent } from "./wasm-simd.js";
import type { KernelCalls } from "./wasm-heap.js";

/** Register tile: input channels held as scalars × groups of 4 output channels. */
interface Tile {
  readonly inputs: number;
  readonly outputVectors: number;
}

/**
 * The largest tile. Measured on the quickstart's and RegNetY's shapes, 4x2 and 2x4 (8 vector
 * accumulators) were fastest; 16 accumulators spill on x86-64's 16 vector registers.
 */
const MAX_TILE: Tile = { inputs: 4, outputVectors: 2 };

/**
 * The parameter list of every tile function (all i32; addresses and strides in bytes). One call
 * covers a tilesIn × tilesOut grid of equal tiles: tile (r, c) reads x from x + r·4·inputs, dy from
 * dy + c·16·outputVectors and adds its sums into out + r·inputs·outStride + c·16·outputVectors.
 */
const PARAMS = [
  "x", "dy", "out",
  "count0", "xStride0", "dyStride0",
  "count1", "xStride1", "dyStride1",
  "count2", "xStride2", "dyStride2",
  "outStride", "tilesIn", "tilesOut",
] as const;

const tileName = (tile: Tile) => `tile_${tile.inputs}x${tile.outputVectors}`;

function writeTile(f: FunctionWriter, tile: Tile): void {
  const p = Object.fromEntries(PARAMS.map((name, index) => [name, f.param(index)])) as Record<(typeof PARAMS)[number], Local>;
  const acc: Local[][] = Array.from({ length: tile.inputs }, () => Array.from({ length: tile.outputVectors }, () => f.local("v128")));
  const dyVectors = Array.from({ length: tile.outputVectors }, () => f.local("v128"));
  const xSplat = f.local("v128");
  const levels = [
    { count: p.count0, steps: [p.xStride0, p.dyStride0] },
    { count: p.count1, steps: [p.xStride1, p.dyStride1] },
    { count: p.count2, steps: [p.xStride2, p.dyStride2] },
  ];
  const rowTile = { x: f.local("i32"), out: f.local("i32"), count: f.local("i32"), outStep: f.local("i32") };
  const columnTile = { dy: f.local("i32"), out: f.local("i32"), count: f.local("i32") };
  const row = f.local("i32");

  const accumulatePixel = ([x, dy]: readonly Local[]) => {
    dyVectors.forEach((vector, v) => f.get(dy).v128Load(16 * v).set(vector));
    for (let i = 0; i < tile.inputs; i++) {
      f.get(x).v128Load32Splat(4 * i).set(xSplat);
      for (let v = 0; v < tile.outputVectors; v++) {
        f.get(acc[i][v]).get(xSplat).get(dyVectors[v]).f32x4Mul().f32x4Add().set(acc[i][v]);
      }
    }
  };
  const oneTile = () => {
    for (const vectors of acc) for (const local of vectors) f.v128Zero().set(local);
    writeNestedWalk(f, [rowTile.x, columnTile.dy], levels, accumulatePixel);
    f.get(columnTile.out).set(row);
    for (let i = 0; i < tile.inputs; i++) {
      if (i > 0) f.addTo(row, p.outStride);
      for (let v = 0; v < tile.outputVectors; v++) {
        f.get(row).get(row).v128Load(16 * v).get(acc[i][v]).f32x4Add().v128Store(16 * v);
      }
    }
  };

  f.get(p.outStride).i32(tile.inputs).i32Mul().set(rowTile.outStep);
  f.get(p.x).set(rowTile.x).get(p.out).set(rowTile.out).get(p.tilesIn).set(rowTile.count);
  f.countdown(rowTile.count, () => {
    f.get(p.dy).set(columnTile.dy).get(rowTile.out).set(columnTile.out).get(p.tilesOut).set(columnTile.count);
    f.countdown(columnTile.count, () => {
      oneTile();
      f.get(columnTile.dy).i32(16 * tile.outputVectors).i32Add().set(columnTile.dy);
      f.get(columnTile.out).i32(16 * tile.outputVectors).i32Add().set(columnTile.out);
    });
    f.get(rowTile.x).i32(4 * tile.inputs).i32Add().set(rowTile.x);
    f.addTo(rowTile.out, rowTile.outStep);
  });
}

type Tiles = (tile: Tile) => SimdFunction;

function writeTiles(writer: ModuleWriter): void {
  for (let inputs = 1; inputs <= MAX_TILE.inputs; inputs++) {
    for (let outputVectors = 1; outputVectors <= MAX_TILE.outputVectors; outputVectors++) {
      const tile = { inputs, outputVectors };
      writer.addFunction(tileName(tile), PARAMS.map(() => "i32" as const), (f) => writeTile(f, tile));
    }
  }
}

/**
 * out[i·outStride + o] += Σ over the 3-level pixel walk of x[xAt + i] · dy[dyAt + o] for
 * i < inputs, o < outputs (element offsets and strides, float32, y the dy side; outputs a
 * multiple of 4), in at most four calls: the grid of full register tiles and the partial ones at
 * its edges.
 */
function weightGradientBlock(
  tiles: Tiles,
  xAt: number,
  dyAt: number,
  outAt: number,
  outStride: number,
  inputs: number,
  outputs: number,
  loops: readonly [WalkExtent, WalkExtent, WalkExtent],
): void {
  const [l0, l1, l2] = loops;
  const vectors = outputs / 4;
  const fullIn = Math.floor(inputs / MAX_TILE.inputs);
  const fullOut = Math.floor(vectors / MAX_TILE.outputVectors);
  // The grid of full tiles, then the partial column, the partial row and the corner.
  const parts = [
    { inputs: MAX_TILE.inputs, outputVectors: MAX_TILE.outputVectors, tilesIn: fullIn, tilesOut: fullOut, i: 0, o: 0 },
    { inputs: MAX_TILE.inputs, outputVectors: vectors % MAX_TILE.outputVectors, tilesIn: fullIn, tilesOut: 1, i: 0, o: fullOut },
    { inputs: inputs % MAX_TILE.inputs, outputVectors: MAX_TILE.outputVectors, tilesIn: 1, tilesOut: fullOut, i: fullIn, o: 0 },
    { inputs: inputs % MAX_TILE.inputs, outputVectors: vectors % MAX_TILE.outputVectors, tilesIn: 1, tilesOut: 1, i: fullIn, o: fullOut },
  ];
  for (const part of parts) {
    if (part.inputs === 0 || part.outputVectors === 0 || part.tilesIn === 0 || part.tilesOut === 0) continue;
    const i = part.i * MAX_TILE.inputs;
    const o = 4 * part.o * MAX_TILE.outputVectors;
    tiles(part)(
      4 * (xAt + i), 4 * (dyAt + o), 4 * (outAt + i * outStride + o),
      l0.count, 4 * l0.xStride, 4 * l0.yStride,
      l1.count, 4 * l1.xStride, 4 * l1.yStride,
      l2.count, 4 * l2.xStride, 4 * l2.yStride,
      4 * outStride, part.tilesIn, part.tilesOut,
    );
  }
}

/**
 * The weight gradient [KH, KW, Cin/G, Cout] of a (grouped) convolution with the SIMD kernel, or
 * null when it cannot run here (see simdModule; output channels per group not a multiple of 4), in
 * which case the caller uses its XNNPACK formulation. `info` describes the whole convolution (all
 * channels); group g reads input channels [g·Cin/G, (g+1)·Cin/G) and writes outputs [g·Cout/G, ...).
 */
export function simdWeightGradient(
  calls: KernelCalls,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  groups: number,
): tf.TensorInfo | null {
  const { filterHeight: kh, filterWidth: kw, inChannels, outChannels } = info;
  const groupIn = inChannels / groups;
  const groupOut = outChannels / groups;
  if (groupOut % 4 !== 0) return null;
  const exports = simdModule(calls.backend, "weight gradient", writeTiles);
  if (exports === null) return null;
  const tiles: Tiles = (tile) => exports[tileName(tile)];
  const out = calls.alloc([kh, kw, groupIn, outChannels], true);
  const xBase = heapOffset(calls.view(x));
  const dyBase = heapOffset(calls.view(dy));
  const outBase = heapOffset(calls.view(out));
  for (const walk of tapWalks(info)) {
    const xAt = xBase + walk.xOffset;
    const dyAt = dyBase + walk.yOffset;
    const outAt = outBase + walk.tap * groupIn * outChannels;
    for (let g = 0; g < groups; g++) {
      weightGradientBlock(tiles, xAt + g * groupIn, dyAt + g * groupOut, outAt + g * groupOut, outChannels, groupIn, groupOut, [walk.images, walk.rows, walk.cols]);
    }
  }
  return out;
}
