// Generated images with latent classes an SSL method can discover and a linear probe can read back:
// each class is a textured, coloured shape (shape = class mod 6, texture = class/6 mod 5, a class hue on
// the golden-ratio wheel, a class texture frequency), drawn at a random place, size and rotation over a
// random gradient background with noise and small distractor discs. Colour jitter and grayscale remove
// the colour cue, so the shape and texture carry the class through SEER-style augmentation.
// Class looks depend on the class number only — not on the seed — so a training set (one seed) and an
// evaluation set (another seed) share their classes. Each image is a pure function of (seed, index).

import { Rng, STREAM } from "./random.js";

export const SYNTHETIC_SHAPES = ["disc", "square", "triangle", "ring", "cross", "diamond"] as const;
export const SYNTHETIC_TEXTURES = ["solid", "stripes", "checker", "dots", "waves"] as const;

export interface SyntheticSpec {
  images: number;
  classes: number;
  size: number;
  seed: number;
}

interface ClassLook {
  shape: number;
  texture: number;
  hue: number;
  /** Texture periods per object radius. */
  frequency: number;
  /** Texture orientation relative to the object, in radians. */
  angle: number;
}

const GOLDEN_RATIO_FRACTION = 0.6180339887498949;

function classLook(label: number): ClassLook {
  const rng = Rng.forKey([STREAM.syntheticClass, label]);
  return {
    shape: label % SYNTHETIC_SHAPES.length,
    texture: Math.floor(label / SYNTHETIC_SHAPES.length) % SYNTHETIC_TEXTURES.length,
    hue: (0.03 + label * GOLDEN_RATIO_FRACTION) % 1,
    frequency: 1.6 + 1.6 * rng.uniform(),
    angle: Math.PI * rng.uniform(),
  };
}

export function syntheticClassNames(classes: number): string[] {
  const width = String(Math.max(0, classes - 1)).length;
  return Array.from({ length: classes }, (_, c) => {
    const look = classLook(c);
    return `${String(c).padStart(width, "0")}-${SYNTHETIC_SHAPES[look.shape]}-${SYNTHETIC_TEXTURES[look.texture]}`;
  });
}

export function syntheticLabel(spec: Pick<SyntheticSpec, "seed" | "classes">, index: number): number {
  return Rng.forKey([spec.seed, index, STREAM.syntheticLabel]).int(spec.classes);
}

export function syntheticLabels(spec: SyntheticSpec): Int32Array {
  const labels = new Int32Array(spec.images);
  for (let i = 0; i < spec.images; i++) labels[i] = syntheticLabel(spec, i);
  return labels;
}

/** HSV (all in 0..1) to 0..255 RGB. */
function hsvToRgb(h: number, s: number, v: number, out: Float64Array): void {
  const sector = ((h % 1) + 1) % 1 * 6;
  const i = Math.floor(sector);
  const f = sector - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  const [r, g, b] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i % 6];
  out[0] = r * 255;
  out[1] = g * 255;
  out[2] = b * 255;
}

function insideShape(shape: number, u: number, v: number): boolean {
  switch (shape) {
    case 0:
      return u * u + v * v <= 1;
    case 1:
      return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8;
    case 2: {
      // Equilateral triangle inscribed in the unit circle: three half-planes at distance 0.5 from the centre.
      const a = -v;
      const b = 0.8660254037844386 * u + 0.5 * v;
      const c = -0.8660254037844386 * u + 0.5 * v;
      return a <= 0.5 && b <= 0.5 && c <= 0.5;
    }
    case 3: {
      const r2 = u * u + v * v;
      return r2 <= 1 && r2 >= 0.3025;
    }
    case 4:
      return (Math.abs(u) <= 0.3 && Math.abs(v) <= 0.95) || (Math.abs(v) <= 0.3 && Math.abs(u) <= 0.95);
    default:
      return Math.abs(u) + Math.abs(v) <= 1;
  }
}

/** 1 where the texture shows its second colour, in object-local coordinates. */
function textureBit(texture: number, s: number, t: number, frequency: number): number {
  switch (texture) {
    case 0:
      return 0;
    case 1:
      return Math.sin(2 * Math.PI * frequency * s) > 0 ? 1 : 0;
    case 2:
      return (Math.floor(frequency * s) + Math.floor(frequency * t)) & 1;
    case 3: {
      const ds = frequency * s - Math.round(frequency * s);
      const dt = frequency * t - Math.round(frequency * t);
      return ds * ds + dt * dt < 0.09 ? 1 : 0;
    }
    default:
      return Math.sin(2 * Math.PI * frequency * (s + 0.25 * Math.sin(2 * Math.PI * t))) > 0 ? 1 : 0;
  }
}

interface Distractor {
  x: number;
  y: number;
  r2: number;
  rgb: Float64Array;
}

/** Renders image `index` as `size`×`size`×3 RGB bytes into `out` (allocated when absent). */
export function renderSyntheticImage(spec: SyntheticSpec, index: number, out?: Uint8Array): Uint8Array {
  const size = spec.size;
  const pixels = out ?? new Uint8Array(size * size * 3);
  const label = syntheticLabel(spec, index);
  const look = classLook(label);
  const rng = Rng.forKey([spec.seed, index, STREAM.syntheticImage]);

  const backgroundA = new Float64Array(3);
  const backgroundB = new Float64Array(3);
  hsvToRgb(rng.uniform(), rng.range(0, 0.4), rng.range(0.2, 0.9), backgroundA);
  hsvToRgb(rng.uniform(), rng.range(0, 0.4), rng.range(0.2, 0.9), backgroundB);
  const gradientAngle = rng.range(0, 2 * Math.PI);
  const gradientX = Math.cos(gradientAngle) / size;
  const gradientY = Math.sin(gradientAngle) / size;

  const centreX = size * rng.range(0.32, 0.68);
  const centreY = size * rng.range(0.32, 0.68);
  const radius = size * rng.range(0.2, 0.34);
  const rotation = rng.range(0, 2 * Math.PI);
  const cosRotation = Math.cos(rotation) / radius;
  const sinRotation = Math.sin(rotation) / radius;
  const cosTexture = Math.cos(look.angle);
  const sinTexture = Math.sin(look.angle);
  const hue = look.hue + rng.range(-0.035, 0.035);
  const saturation = rng.range(0.6, 1);
  const value = rng.range(0.65, 1);
  const foreground = new Float64Array(3);
  const foregroundDark = new Float64Array(3);
  hsvToRgb(hue, saturation, value, foreground);
  hsvToRgb(hue, saturation * 0.9, value * 0.35, foregroundDark);

  const distractors: Distractor[] = [];
  const distractorCount = rng.int(3);
  for (let k = 0; k < distractorCount; k++) {
    const rgb = new Float64Array(3);
    hsvToRgb(rng.uniform(), rng.range(0.2, 1), rng.range(0.3, 1), rgb);
    const r = size * rng.range(0.03, 0.07);
    distractors.push({ x: size * rng.uniform(), y: size * rng.uniform(), r2: r * r, rgb });
  }
  const noiseAmplitude = rng.range(4, 14);
  let noiseState = rng.nextUint32() | 1;

  for (let y = 0; y < size; y++) {
    const py = y + 0.5;
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const o = (y * size + x) * 3;
      let colour: Float64Array | null = null;
      const dx = px - centreX;
      const dy = py - centreY;
      const u = dx * cosRotation + dy * sinRotation;
      const v = -dx * sinRotation + dy * cosRotation;
      if (insideShape(look.shape, u, v)) {
        const s = u * cosTexture + v * sinTexture;
        const t = -u * sinTexture + v * cosTexture;
        colour = textureBit(look.texture, s, t, look.frequency) ? foregroundDark : foreground;
      } else {
        for (const d of distractors) {
          const ex = px - d.x;
          const ey = py - d.y;
          if (ex * ex + ey * ey <= d.r2) {
            colour = d.rgb;
            break;
          }
        }
      }
      // xorshift32 noise: cheap, and part of the image's pure function of (seed, index).
      noiseState ^= noiseState << 13;
      noiseState ^= noiseState >>> 17;
      noiseState ^= noiseState << 5;
      const noise = ((noiseState >>> 0) / 4294967296 - 0.5) * 2 * noiseAmplitude;
      if (colour) {
        pixels[o] = clampByte(colour[0] + noise);
        pixels[o + 1] = clampByte(colour[1] + noise);
        pixels[o + 2] = clampByte(colour[2] + noise);
      } else {
        const mix = Math.min(1, Math.max(0, 0.5 + (px - size / 2) * gradientX * 1.4 + (py - size / 2) * gradientY * 1.4));
        pixels[o] = clampByte(backgroundA[0] + (backgroundB[0] - backgroundA[0]) * mix + noise);
        pixels[o + 1] = clampByte(backgroundA[1] + (backgroundB[1] - backgroundA[1]) * mix + noise);
        pixels[o + 2] = clampByte(backgroundA[2] + (backgroundB[2] - backgroundA[2]) * mix + noise);
      }
    }
  }
  return pixels;
}

function clampByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}
