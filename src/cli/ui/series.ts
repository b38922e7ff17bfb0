/**
 * A whole run's curve in bounded memory, and text charts of it.
 *
 * SEER-sized runs have hundreds of thousands of steps; the dashboard keeps at most `capacity`
 * points by averaging neighbours whenever it fills up (each point then covers twice as many steps).
 */
export interface SeriesPoint {
  /** Mean step of the steps the point covers. */
  x: number;
  /** Mean value over those steps. */
  y: number;
}

export class DecimatedSeries {
  private points: SeriesPoint[] = [];
  private stride = 1;
  private pendingX = 0;
  private pendingY = 0;
  private pendingCount = 0;

  constructor(readonly capacity = 512) {
    if (capacity < 2 || capacity % 2 !== 0) throw new RangeError("a decimated series needs an even capacity of at least 2");
  }

  push(x: number, y: number): void {
    if (!Number.isFinite(y)) return;
    this.pendingX += x;
    this.pendingY += y;
    this.pendingCount++;
    if (this.pendingCount < this.stride) return;
    this.points.push({ x: this.pendingX / this.pendingCount, y: this.pendingY / this.pendingCount });
    this.pendingX = this.pendingY = this.pendingCount = 0;
    if (this.points.length === this.capacity) {
      const merged: SeriesPoint[] = [];
      for (let i = 0; i < this.points.length; i += 2) {
        const a = this.points[i];
        const b = this.points[i + 1];
        merged.push({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
      }
      this.points = merged;
      this.stride *= 2;
    }
  }

  /** Every point so far, the partly filled last bucket included. */
  values(): SeriesPoint[] {
    if (this.pendingCount === 0) return [...this.points];
    return [...this.points, { x: this.pendingX / this.pendingCount, y: this.pendingY / this.pendingCount }];
  }

  /** Steps each finished point covers. */
  get stepsPerPoint(): number {
    return this.stride;
  }
}

/** Averages `values` into `width` buckets (or returns them as they are when there are fewer). */
export function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    const from = Math.floor((i * values.length) / width);
    const to = Math.floor(((i + 1) * values.length) / width);
    let sum = 0;
    for (let j = from; j < to; j++) sum += values[j];
    out.push(sum / (to - from));
  }
  return out;
}

const EIGHTHS = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/**
 * A bar chart in `height` rows of block characters, one column per value (values resampled to
 * `width`), scaled from the values' minimum (one eighth of a row, so it stays visible) to their
 * maximum (full height). Returns the rows top first.
 */
export function blockChart(values: readonly number[], width: number, height: number): string[] {
  const columns = resample(values.filter(Number.isFinite), Math.max(1, width));
  if (columns.length === 0) return Array.from({ length: height }, () => "");
  const min = Math.min(...columns);
  const max = Math.max(...columns);
  const levels = height * 8;
  const heights = columns.map((v) => (max === min ? Math.ceil(levels / 2) : 1 + Math.round(((v - min) / (max - min)) * (levels - 1))));
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    rows.push(heights.map((h) => EIGHTHS[Math.max(0, Math.min(8, h - row * 8))]).join(""));
  }
  return rows;
}

export function sparkline(values: readonly number[], width: number): string {
  return blockChart(values, width, 1)[0];
}

/** A fixed-size window of the most recent values. */
export class RecentWindow<T> {
  private items: T[] = [];

  constructor(readonly size: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.shift();
  }

  all(): readonly T[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  clear(): void {
    this.items = [];
  }
}
