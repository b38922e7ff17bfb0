import { Box, Text } from "ink";
import { blockChart } from "./series.js";

/** `[█████░░░░░] 42%` sized to `width` columns (the percentage included). */
export function progressBarText(share: number, width: number): string {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(share) ? share : 0));
  const percent = `${Math.floor(clamped * 100)}%`.padStart(4);
  const cells = Math.max(4, width - percent.length - 1);
  const filled = Math.round(clamped * cells);
  return "█".repeat(filled) + "░".repeat(cells - filled) + " " + percent;
}

export function ProgressBar({ share, width, color = "green" }: { share: number; width: number; color?: string }) {
  const text = progressBarText(share, width);
  const bar = text.slice(0, text.lastIndexOf(" "));
  return (
    <Text>
      <Text color={color}>{bar.replace(/░+$/, "")}</Text>
      <Text dimColor>{bar.match(/░+$/)?.[0] ?? ""}</Text>
      {text.slice(bar.length)}
    </Text>
  );
}

/**
 * A block chart with the largest and smallest value as labels in a left gutter:
 * ` 4.921 ┤▇▆▆▅▄` … ` 4.310 ┤▁▁▁▁`.
 */
export function chartLines(values: readonly number[], width: number, height: number, format: (v: number) => string): string[] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [];
  const top = format(Math.max(...finite));
  const bottom = format(Math.min(...finite));
  const gutter = Math.max(top.length, bottom.length);
  const rows = blockChart(finite, Math.max(1, width - gutter - 2), height);
  return rows.map((row, i) => `${(i === 0 ? top : i === rows.length - 1 ? bottom : "").padStart(gutter)} ┤${row}`);
}

export function Chart({ values, width, height, format, color = "cyan" }: { values: readonly number[]; width: number; height: number; format: (v: number) => string; color?: string }) {
  const lines = chartLines(values, width, height, format);
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => {
        const bar = line.indexOf("┤") + 1;
        return (
          <Text key={i} wrap="truncate-end">
            <Text dimColor>{line.slice(0, bar)}</Text>
            <Text color={color}>{line.slice(bar)}</Text>
          </Text>
        );
      })}
    </Box>
  );
}

/** A section title: `── loss ─────────` across the width. */
export function Rule({ title, width }: { title: string; width: number }) {
  const head = `── ${title} `;
  return <Text dimColor>{head + "─".repeat(Math.max(0, width - head.length))}</Text>;
}
