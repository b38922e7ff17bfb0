// Per-channel passes over NHWC activations as generated 128-bit SIMD functions on the wasm
// backend's memory: the full-size passes of training-mode batch norm (see wasm-batch-norm.ts for
// the maths) and of squeeze-excitation (wasm-squeeze-excite.ts).
//
// Built from stock kernels, a forward batch norm reads or writes its activation 6-7 times (two
// average pools, a subtraction, a square, an affine map, the residual add and ReLU) and its
// backward 8 times, each pass a separate kernel with its own output allocation. Here the forward
// is three passes (sums; centring with the squared sums; affine map with residual and ReLU) and
// the backward two (ReLU mask with both sums; input gradient). Activations are NHWC, so a pixel's
// channels are contiguous: each function walks the pixels and, inside, the channels 4 at a time,
// with per-channel vectors (statistics, coefficients, running sums) read from and accumulated into
// small [C] heap tensors. C must be a multiple of 4.
import type { FunctionWriter, Local, ModuleWriter } from "./wasm-assembler.js";

/**
 * for each pixel, for each group of 4 channels: body(pixel stream addresses, channel addresses).
 * Pixel streams (tensors of the activation's size) advance 16 bytes per step and run on across
 * pixels; channel streams ([C] tensors) restart at every pixel.
 */
function channelwise(
  f: FunctionWriter,
  pixels: Local,
  vectors: Local,
  pixelStreams: readonly Local[],
  channelBases: readonly Local[],
  body: (channel: readonly Local[]) => void,
): void {
  const channel = channelBases.map(() => f.local("i32"));
  const remaining = f.local("i32");
  f.countdown(pixels, () => {
    channelBases.forEach((base, k) => f.get(base).set(channel[k]));
    f.get(vectors).set(remaining);
    f.countdown(remaining, () => {
      body(channel);
      for (const stream of [...pixelStreams, ...channel]) f.addConstant(stream, 16);
    });
  });
}

/** sums[c] += value (the vector on the stack) for the 4 channels at `at`. */
function accumulateInto(f: FunctionWriter, at: Local, value: () => void): void {
  f.get(at).get(at).v128Load();
  value();
  f.f32x4Add().v128Store();
}

const names = {
  sums: "sums",
  centre: "centre",
  affine: (relu: boolean, residual: boolean) => `affine${relu ? "_relu" : ""}${residual ? "_residual" : ""}`,
  gradientSums: (relu: boolean) => `gradient_sums${relu ? "_relu" : ""}`,
  inputGradient: "input_gradient",
  productSums: "product_sums",
} as const;

export const CHANNEL_PASSES = names;

export function writeChannelPasses(module: ModuleWriter): void {
  // sums(x, pixels, vectors, sums): sums[c] += Σ_p x[p, c].
  module.addFunction(names.sums, ["i32", "i32", "i32", "i32"], (f) => {
    const [x, pixels, vectors, sums] = [0, 1, 2, 3].map((i) => f.param(i));
    channelwise(f, pixels, vectors, [x], [sums], ([sum]) => accumulateInto(f, sum, () => f.get(x).v128Load()));
  });
  // product_sums(a, b, pixels, vectors, sums): sums[c] += Σ_p a[p, c]·b[p, c].
  module.addFunction(names.productSums, ["i32", "i32", "i32", "i32", "i32"], (f) => {
    const [a, b, pixels, vectors, sums] = [0, 1, 2, 3, 4].map((i) => f.param(i));
    channelwise(f, pixels, vectors, [a, b], [sums], ([sum]) => accumulateInto(f, sum, () => f.get(a).v128Load().get(b).v128Load().f32x4Mul()));
  });
  // centre(x, mean, centred, pixels, vectors, squares): centred = x − mean; squares[c] += Σ centred².
  module.addFunction(names.centre, ["i32", "i32", "i32", "i32", "i32", "i32"], (f) => {
    const [x, mean, centred, pixels, vectors, squares] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i));
    const value = f.local("v128");
    channelwise(f, pixels, vectors, [x, centred], [mean, squares], ([meanAt, squareAt]) => {
      f.get(x).v128Load().get(meanAt).v128Load().f32x4Sub().set(value);
      f.get(centred).get(value).v128Store();
      accumulateInto(f, squareAt, () => f.get(value).get(value).f32x4Mul());
    });
  });
  // affine(src, scale, shift, residual, dst, pixels, vectors): dst = relu?(src·scale + shift [+ residual]).
  for (const relu of [false, true]) {
    for (const residual of [false, true]) {
      module.addFunction(names.affine(relu, residual), ["i32", "i32", "i32", "i32", "i32", "i32", "i32"], (f) => {
        const [src, scale, shift, res, dst, pixels, vectors] = [0, 1, 2, 3, 4, 5, 6].map((i) => f.param(i));
        const zero = f.local("v128");
        f.v128Zero().set(zero);
        channelwise(f, pixels, vectors, residual ? [src, res, dst] : [src, dst], [scale, shift], ([scaleAt, shiftAt]) => {
          f.get(dst);
          f.get(src).v128Load().get(scaleAt).v128Load().f32x4Mul().get(shiftAt).v128Load().f32x4Add();
          if (residual) f.get(res).v128Load().f32x4Add();
          if (relu) f.get(zero).f32x4Max();
          f.v128Store();
        });
      });
    }
  }
  // gradient_sums(dy, y, centred, dz, pixels, vectors, sumDz, sumDzCentred):
  // dz = dy·[y > 0] (relu; stored) or dy; sumDz[c] += Σ dz; sumDzCentred[c] += Σ dz·centred.
  for (const relu of [false, true]) {
    module.addFunction(names.gradientSums(relu), ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], (f) => {
      const [dy, y, centred, dz, pixels, vectors, sumDz, sumDzCentred] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => f.param(i));
      const value = f.local("v128");
      const zero = f.local("v128");
      f.v128Zero().set(zero);
      channelwise(f, pixels, vectors, relu ? [dy, y, centred, dz] : [dy, centred], [sumDz, sumDzCentred], ([dzSum, dzCentredSum]) => {
        f.get(dy).v128Load();
        if (relu) f.get(y).v128Load().get(zero).f32x4Gt().v128And();
        f.set(value);
        if (relu) f.get(dz).get(value).v128Store();
        accumulateInto(f, dzSum, () => f.get(value));
        accumulateInto(f, dzCentredSum, () => f.get(value).get(centred).v128Load().f32x4Mul());
      });
    });
  }
  // input_gradient(dz, centred, scale, k1, k0, dx, pixels, vectors): dx = dz·scale + centred·k1 + k0.
  module.addFunction(names.inputGradient, ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"], (f) => {
    const [dz, centred, scale, k1, k0, dx, pixels, vectors] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => f.param(i));
    channelwise(f, pixels, vectors, [dz, centred, dx], [scale, k1, k0], ([scaleAt, k1At, k0At]) => {
      f.get(dx);
      f.get(dz).v128Load().get(scaleAt).v128Load().f32x4Mul();
      f.get(centred).v128Load().get(k1At).v128Load().f32x4Mul().f32x4Add();
      f.get(k0At).v128Load().f32x4Add();
      f.v128Store();
    });
  });
}
