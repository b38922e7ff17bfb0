// The WebAssembly assembler behind the SIMD kernels: the modules it writes validate, and their
// instructions do what the helpers say (LEB128 constants of every length, loops, SIMD arithmetic).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ModuleWriter } from "../../src/runtime/kernels/wasm-assembler.js";

function instantiate(writer: ModuleWriter, memory: WebAssembly.Memory): Record<string, (...args: number[]) => void> {
  const bytes = writer.encode();
  assert.ok(WebAssembly.validate(bytes), "module validates");
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as Record<string, (...args: number[]) => void>;
}

describe("wasm assembler", () => {
  it("encodes i32 constants of one to five bytes, positive and negative", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const writer = new ModuleWriter();
    // copy(src, dst): 4 floats from src + 0 to dst, where the 0 is built from constants whose LEB128
    // forms take 1–5 bytes.
    writer.addFunction("copy", ["i32", "i32"], (f) => {
      const [src, dst] = [f.param(0), f.param(1)];
      f.get(dst);
      f.get(src).i32(63).i32Add().i32(-63).i32Add().i32(64).i32Add().i32(-64).i32Add().i32(300).i32Add().i32(-300).i32Add();
      f.i32(1 << 20).i32Add().i32(-(1 << 20)).i32Add().i32(0x7fffffff).i32Add().i32(-0x7fffffff).i32Add();
      f.v128Load().v128Store();
    });
    const { copy } = instantiate(writer, memory);
    const view = new Float32Array(memory.buffer);
    view.set([1.25, -2, 3.5, 0.125], 10);
    copy(40, 80);
    assert.deepEqual(Array.from(view.subarray(20, 24)), [1.25, -2, 3.5, 0.125]);
  });

  it("runs countdown loops and SIMD multiply-adds (a dot product of 4-lane vectors)", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const writer = new ModuleWriter();
    // dot(a, b, count, out): out[0..3] = Σ_k a[4k..4k+3] · b[k] (b's scalar in all lanes).
    writer.addFunction("dot", ["i32", "i32", "i32", "i32"], (f) => {
      const [a, b, count, out] = [0, 1, 2, 3].map((i) => f.param(i));
      const acc = f.local("v128");
      const four = f.local("i32");
      const sixteen = f.local("i32");
      f.i32(4).set(four).i32(16).set(sixteen).v128Zero().set(acc);
      f.countdown(count, () => {
        f.get(acc).get(a).v128Load().get(b).v128Load32Splat().f32x4Mul().f32x4Add().set(acc);
        f.addTo(a, sixteen).addTo(b, four);
      });
      f.get(out).get(acc).v128Store(16);
    });
    const { dot } = instantiate(writer, memory);
    const view = new Float32Array(memory.buffer);
    const count = 5;
    for (let i = 0; i < 4 * count; i++) view[i] = i + 1;
    for (let k = 0; k < count; k++) view[100 + k] = (k % 3) - 1;
    dot(0, 400, count, 800);
    for (let lane = 0; lane < 4; lane++) {
      let expected = 0;
      for (let k = 0; k < count; k++) expected += view[4 * k + lane] * view[100 + k];
      assert.equal(view[204 + lane], expected, `lane ${lane}`);
    }
  });
});
