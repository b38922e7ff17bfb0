// Deterministic parameter initialisation. Each parameter draws from its own stream, keyed by the
// model seed and the parameter's name, so adding or removing one layer leaves the others unchanged
// and the values do not depend on the backend or on creation order.

/** 32-bit FNV-1a of a string, mixed with a seed. */
function hashKey(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Fold the seed's high bits too (seeds above 2^32 would otherwise collide).
  h ^= Math.floor(seed / 0x100000000) >>> 0;
  return Math.imul(h, 0x01000193) >>> 0;
}

/** sfc32: a small, well-distributed 32-bit PRNG; uniform floats in [0, 1). */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number, key: string) {
    this.a = hashKey(seed, key);
    this.b = hashKey(seed ^ 0x9e3779b9, key);
    this.c = hashKey(seed ^ 0x85ebca6b, key);
    this.d = 1;
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** Standard normal by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }
}

export function normalValues(count: number, std: number, seed: number, key: string): Float32Array {
  const random = new SeededRandom(seed, key);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = random.normal() * std;
  return values;
}

export function uniformValues(count: number, bound: number, seed: number, key: string): Float32Array {
  const random = new SeededRandom(seed, key);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = (2 * random.next() - 1) * bound;
  return values;
}

/** Python's round(): halves go to the even neighbour (torchvision's int(round(...)) widths). */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
