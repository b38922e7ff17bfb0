// A small WebAssembly assembler: enough of the binary format (types, one imported memory, exported
// functions, countdown loops, i32 arithmetic, 128-bit SIMD loads, stores and f32x4 arithmetic) to
// generate this project's SIMD kernels when they are first needed. The kernels run on the wasm
// backend's own memory, so they read and write tensors where they lie, with no copies.
//
// Generated rather than shipped as a binary: a kernel is specialised (register tile sizes,
// unrolled reductions) by the code that emits it, and the source of every instruction is readable
// TypeScript.

export type ValueType = "i32" | "v128";

const VALUE_TYPE_CODE: Record<ValueType, number> = { i32: 0x7f, v128: 0x7b };

function unsignedLeb(value: number, out: number[]): void {
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
}

function signedLeb(value: number, out: number[]): void {
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function nameBytes(name: string, out: number[]): void {
  const bytes = new TextEncoder().encode(name);
  unsignedLeb(bytes.length, out);
  out.push(...bytes);
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  unsignedLeb(body.length, out);
  out.push(...body);
}

/** A local variable or parameter of the function being written. */
export interface Local {
  readonly index: number;
  readonly type: ValueType;
}

const OP = {
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  simd: 0xfd,
} as const;

const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Max: 0xe9,
} as const;

/**
 * The body of one function. Instructions are pushed in stack-machine order; the helpers name the
 * ones the kernels use. Memory offsets are byte offsets; alignment hints are left at 0 (valid for
 * any address).
 */
export class FunctionWriter {
  readonly code: number[] = [];
  private readonly localTypes: ValueType[] = [];
  private readonly params: Local[];

  constructor(paramTypes: readonly ValueType[]) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  param(index: number): Local {
    return this.params[index];
  }

  local(type: ValueType): Local {
    this.localTypes.push(type);
    return { index: this.params.length + this.localTypes.length - 1, type };
  }

  get(local: Local): this {
    this.code.push(OP.localGet);
    unsignedLeb(local.index, this.code);
    return this;
  }

  set(local: Local): this {
    this.code.push(OP.localSet);
    unsignedLeb(local.index, this.code);
    return this;
  }

  tee(local: Local): this {
    this.code.push(OP.localTee);
    unsignedLeb(local.index, this.code);
    return this;
  }

  i32(value: number): this {
    this.code.push(OP.i32Const);
    signedLeb(value, this.code);
    return this;
  }

  i32Add(): this {
    this.code.push(OP.i32Add);
    return this;
  }

  i32Sub(): this {
    this.code.push(OP.i32Sub);
    return this;
  }

  i32Mul(): this {
    this.code.push(OP.i32Mul);
    return this;
  }



  /** `local += step` for an i32 local, step another local. */
  addTo(local: Local, step: Local): this {
    return this.get(local).get(step).i32Add().set(local);
  }





  private simd(opcode: number): this {
    this.code.push(OP.simd);
    unsignedLeb(opcode, this.code);
    return this;
  }

  v128Load(offset = 0): this {
    this.simd(SIMD.load).code.push(0);
    unsignedLeb(offset, this.code);
    return this;
  }

  /** One f32 from memory, in all four lanes. */
  v128Load32Splat(offset = 0): this {
    this.simd(SIMD.load32Splat).code.push(0);
    unsignedLeb(offset, this.code);
    return this;
  }

  v128Store(offset = 0): this {
    this.simd(SIMD.store).code.push(0);
    unsignedLeb(offset, this.code);
    return this;
  }

  v128Zero(): this {
    this.simd(SIMD.const).code.push(...new Array<number>(16).fill(0));
    return this;
  }

  f32x4Add(): this {
    return this.simd(SIMD.f32x4Add);
  }

  f32x4Sub(): this {
    return this.simd(SIMD.f32x4Sub);
  }

  f32x4Mul(): this {
    return this.simd(SIMD.f32x4Mul);
  }

  f32x4Max(): this {
    return this.simd(SIMD.f32x4Max);
  }

  /** Lane-wise a > b as all-ones / all-zeros lanes. */
  f32x4Gt(): this {
    return this.simd(SIMD.f32x4Gt);
  }

  v128And(): this {
    return this.simd(SIMD.v128And);
  }

  /** `local += constant` for an i32 local. */
  addConstant(local: Local, constant: number): this {
    return this.get(local).i32(constant).i32Add().set(local);
  }

  /**
   * `do { body } while (--counter != 0)`: the counter must be positive on entry (the caller
   * guarantees it; a zero count would wrap).
   */
  countdown(counter: Local, body: () => void): this {
    this.code.push(OP.loop, 0x40);
    body();
    this.get(counter).i32(1).i32Sub().tee(counter).code.push(OP.brIf, 0);
    this.code.push(OP.end);
    return this;
  }

  /** Encoded locals declaration followed by the instructions and the final `end`. */
  encodeBody(): number[] {
    const groups: Array<[number, ValueType]> = [];
    for (const type of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const body: number[] = [];
    unsignedLeb(groups.length, body);
    for (const [count, type] of groups) {
      unsignedLeb(count, body);
      body.push(VALUE_TYPE_CODE[type]);
    }
    body.push(...this.code, OP.end);
    const sized: number[] = [];
    unsignedLeb(body.length, sized);
    sized.push(...body);
    return sized;
  }
}

interface FunctionEntry {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly writer: FunctionWriter;
}

/** A module importing one memory (`env.memory`) and exporting functions without results. */
export class ModuleWriter {
  private readonly functions: FunctionEntry[] = [];

  addFunction(name: string, params: readonly ValueType[], write: (f: FunctionWriter) => void): void {
    const writer = new FunctionWriter(params);
    write(writer);
    this.functions.push({ name, params, writer });
  }

  encode(): Uint8Array {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const types: number[] = [];
    unsignedLeb(this.functions.length, types);
    for (const f of this.functions) {
      types.push(0x60);
      unsignedLeb(f.params.length, types);
      for (const p of f.params) types.push(VALUE_TYPE_CODE[p]);
      types.push(0);
    }
    section(1, types, out);
    const imports: number[] = [1];
    nameBytes("env", imports);
    nameBytes("memory", imports);
    imports.push(0x02, 0x00, 0x00);
    section(2, imports, out);
    const declarations: number[] = [];
    unsignedLeb(this.functions.length, declarations);
    this.functions.forEach((_, index) => unsignedLeb(index, declarations));
    section(3, declarations, out);
    const exports: number[] = [];
    unsignedLeb(this.functions.length, exports);
    this.functions.forEach((f, index) => {
      nameBytes(f.name, exports);
      exports.push(0x00);
      unsignedLeb(index, exports);
    });
    section(7, exports, out);
    const code: number[] = [];
    unsignedLeb(this.functions.length, code);
    for (const f of this.functions) code.push(...f.writer.encodeBody());
    section(10, code, out);
    return new Uint8Array(out);
  }
}
