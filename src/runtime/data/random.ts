// Counter-based randomness: every random decision is a pure function of a key such as
// (seed, epoch, position, attempt, crop), never of which worker ran first. That is what makes batches
// identical whatever the number of workers, and lets a run resume at any step without replaying it.

const TWO_POW_32 = 4294967296;

/** Murmur3's 32-bit finaliser: a bijective avalanche mix. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashes a list of non-negative integers (each up to 2^53) into 32 bits, order-sensitive. */
export function hashKey(values: readonly number[], salt = 0): number {
  let h = mix32(0x9e3779b9 ^ salt);
  for (const value of values) {
    const low = value >>> 0;
    const high = Math.floor(value / TWO_POW_32) >>> 0;
    h = mix32(h ^ mix32(low + 0x7f4a7c15));
    h = mix32(h ^ mix32(high + 0x165667b1));
  }
  return h;
}

/** Small fast generator (Chris Doty-Humphrey's SFC32 construction) seeded from a hashed key. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator determined entirely by `key` (e.g. `[seed, epoch, position]`). */
  static forKey(key: readonly number[]): Rng {
    return new Rng(hashKey(key, 1), hashKey(key, 2), hashKey(key, 3), 1);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  bernoulli(p: number): boolean {
    return p > 0 && this.uniform() < p;
  }
}

/** Python's `round()`: halves go to the even neighbour (torchvision's crop arithmetic relies on it). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

/** Fixed salts that keep the independent random streams of one sample apart. */
export const STREAM = {
  shuffle: 1,
  alternates: 2,
  crop: 3,
  fallback: 4,
  syntheticLabel: 5,
  syntheticImage: 6,
  syntheticClass: 7,
} as const;
