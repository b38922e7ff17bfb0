/**
 * Line plots as standalone SVG text, for report.html (no scripts, no fonts or styles from outside).
 * The x axis spans the data exactly; the y axis is widened to round tick values.
 */
export interface PlotSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color: string;
  /** Drawn thinner and translucent, under the other series (raw values under a moving mean). */
  faint?: boolean;
}

export interface PlotReference {
  y: number;
  label: string;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  references?: PlotReference[];
  /** Format for the y tick labels. */
  formatY?: (v: number) => string;
  /** Include zero in the y range (counts, rates). */
  fromZero?: boolean;
  width?: number;
  height?: number;
}

export const PLOT_MARGIN = { left: 64, right: 16, top: 30, bottom: 42 };
/** More points than this are averaged into this many buckets: the file stays small, the shape stays. */
export const MAX_PLOTTED_POINTS = 1000;

/** Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [min, max], about `target` of them. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const first = Math.floor(min / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * (1 - 1e-9); v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

export function downsample(points: ReadonlyArray<readonly [number, number]>, max = MAX_PLOTTED_POINTS): Array<[number, number]> {
  if (points.length <= max) return points.map(([x, y]) => [x, y]);
  const out: Array<[number, number]> = [];
  for (let i = 0; i < max; i++) {
    const from = Math.floor((i * points.length) / max);
    const to = Math.floor(((i + 1) * points.length) / max);
    let sx = 0;
    let sy = 0;
    for (let j = from; j < to; j++) {
      sx += points[j][0];
      sy += points[j][1];
    }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

/** Mean over a trailing window of `window` points (shorter at the start). */
export function movingMean(points: ReadonlyArray<readonly [number, number]>, window: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i][1];
    if (i >= window) sum -= points[i - window][1];
    out.push([points[i][0], sum / Math.min(i + 1, window)]);
  }
  return out;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const coordinate = (v: number) => (Math.round(v * 10) / 10).toString();

function defaultFormat(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1);
  return Number(v.toPrecision(4)).toString();
}

export function linePlot(o: PlotOptions): string {
  const width = o.width ?? 640;
  const height = o.height ?? 260;
  const m = PLOT_MARGIN;
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const series = o.series.map((s) => ({ ...s, points: downsample(s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) }));
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...(o.references ?? []).map((r) => r.y)];
  const title = `<text class="plot-title" x="${m.left}" y="18" font-size="14" font-weight="bold">${escapeXml(o.title)}</text>`;
  if (xs.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">${title}<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#777">no data yet</text></svg>`;
  }
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) === xMin ? xMin + 1 : Math.max(...xs);
  const ticksY = niceTicks(o.fromZero ? Math.min(0, ...ys) : Math.min(...ys), Math.max(...ys));
  const yMin = ticksY[0];
  const yMax = ticksY[ticksY.length - 1];
  const px = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number) => m.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const fmtY = o.formatY ?? defaultFormat;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}">`);
  parts.push(title);
  for (const t of ticksY) {
    const y = coordinate(py(t));
    parts.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<text class="tick-y" x="${m.left - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${escapeXml(fmtY(t))}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 6).filter((t) => t >= xMin && t <= xMax)) {
    const x = coordinate(px(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top + plotH}" y2="${m.top + plotH + 4}" stroke="#555"/>`);
    parts.push(`<text class="tick-x" x="${x}" y="${m.top + plotH + 16}" font-size="11" text-anchor="middle">${escapeXml(defaultFormat(t))}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#555"/>`);
  parts.push(`<text class="axis-label" x="${m.left + plotW / 2}" y="${height - 6}" font-size="12" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${m.top + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  for (const r of o.references ?? []) {
    const y = coordinate(py(r.y));
    parts.push(`<line class="reference" x1="${m.left}" x2="${m.left + plotW}" y1="${y}" y2="${y}" stroke="#c0392b" stroke-dasharray="5 4"/>`);
    parts.push(`<text class="reference-label" x="${m.left + plotW - 4}" y="${Number(y) - 4}" font-size="11" text-anchor="end" fill="#c0392b">${escapeXml(r.label)}</text>`);
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${coordinate(px(x))} ${coordinate(py(y))}`).join(" ");
    const style = s.faint ? `stroke-width="1" stroke-opacity="0.35"` : `stroke-width="1.8"`;
    parts.push(`<path class="series" data-series="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${s.color}" ${style}/>`);
    if (s.points.length === 1) parts.push(`<circle cx="${coordinate(px(s.points[0][0]))}" cy="${coordinate(py(s.points[0][1]))}" r="3" fill="${s.color}"/>`);
  }
  if (series.length > 1) {
    // The legend shares the title's row, right-aligned, so it never covers the curves.
    let x = m.left + plotW;
    for (const s of [...series].reverse()) {
      x -= 24 + s.name.length * 6.5 + 12;
      parts.push(`<line x1="${coordinate(x)}" x2="${coordinate(x + 18)}" y1="14" y2="14" stroke="${s.color}" stroke-width="2"${s.faint ? ` stroke-opacity="0.35"` : ""}/>`);
      parts.push(`<text class="legend" x="${coordinate(x + 24)}" y="14" font-size="11" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
    }
  }
  parts.push("</svg>");
  return parts.join("");
}
