/** Number formatting shared by the dashboard, the plain logger, the report and `seerc runs`. */

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Binary units, because RSS and tensor memory are counted in pages and bytes, not decimal megabytes. */
export function formatBytes(bytes: number): string {
  const units: Array<[number, string]> = [[2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]];
  for (const [scale, unit] of units) {
    if (Math.abs(bytes) >= scale) {
      const v = bytes / scale;
      return `${v.toFixed(v >= 100 ? 0 : 1)} ${unit}`;
    }
  }
  return `${Math.round(bytes)} B`;
}

/** Elapsed or remaining time as a clock: 0:42, 12:03, 1:02:03, 3d 04:05:06. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const total = Math.round(seconds);
  const days = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${two(h)}:${two(m)}:${two(s)}`;
  if (h > 0) return `${h}:${two(m)}:${two(s)}`;
  return `${m}:${two(s)}`;
}

export function formatPercent(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)}%`;
}

/** Learning rates span decades (1e-6 … 10); three significant digits keep warm-up steps distinguishable. */
export function formatLearningRate(lr: number): string {
  return lr.toPrecision(3);
}

/** Evaluation metrics: accuracies ("top1", "acc") as percentages, counts as counts, the rest to four digits. */
export function formatMetric(name: string, value: number): string {
  if (/top|acc/i.test(name)) return `${(value * 100).toFixed(2)}%`;
  if (Number.isInteger(value)) return formatCount(value);
  return String(Number(value.toPrecision(4)));
}

/** Joins as many pieces as fit in `width` (the first always kept, then in order of priority). */
export function fitPieces(pieces: ReadonlyArray<string | null | undefined>, width: number, separator = "  "): string {
  let line = "";
  for (const piece of pieces) {
    if (!piece) continue;
    const candidate = line === "" ? piece : line + separator + piece;
    if (line === "" || candidate.length <= width) line = candidate;
  }
  return line.length > width ? line.slice(0, Math.max(0, width - 1)) + "…" : line;
}
