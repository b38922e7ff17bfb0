import type { Span } from "../diagnostics/types.js";
import type { DiagnosticCode } from "../diagnostics/catalog.js";
import type { DurationIR, SchedulePieceIR, WrittenPieceIR } from "./ir.js";

/** Durations and schedules as the checker read them (units not yet converted). */
export interface WrittenDuration {
  amount: number;
  unit: "steps" | "epochs" | "images";
  of: { dataset: string; images: number; batch: number } | null;
}

export type WrittenPiece =
  | { kind: "constant"; value: number; over: WrittenDuration | null; restart: boolean; span: Span }
  | { kind: "linear" | "cosine"; from: number | null; to: number; over: WrittenDuration | null; restart: boolean; span: Span }
  | { kind: "step"; value: number; milestones: Array<{ factor: number; at: WrittenDuration; span: Span }>; over: null; restart: boolean; span: Span };

/** The written pieces without source spans, as the IR stores them. */
export function stripSpans(pieces: readonly WrittenPiece[]): WrittenPieceIR[] {
  return pieces.map((p) => {
    if (p.kind === "step") return { kind: "step", value: p.value, milestones: p.milestones.map((m) => ({ factor: m.factor, at: m.at })), over: null, restart: p.restart };
    if (p.kind === "constant") return { kind: "constant", value: p.value, over: p.over, restart: p.restart };
    return { kind: p.kind, from: p.from, to: p.to, over: p.over, restart: p.restart };
  });
}

/** Gives IR pieces a placeholder span so run-time layout can reuse `resolveSchedule`; problems there are reported without a location. */
export function withRunTimeSpans(pieces: readonly WrittenPieceIR[], file: string): WrittenPiece[] {
  const span: Span = { file, start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
  return pieces.map((p) => (p.kind === "step" ? { ...p, span, milestones: p.milestones.map((m) => ({ ...m, span })) } : { ...p, span })) as WrittenPiece[];
}

export interface RunSize {
  globalBatch: number;
  /** Images in the training data; null when only known at run time. */
  datasetImages: number | null;
}

/**
 * Converts a duration to steps of this run. Partial steps round up (a started step is a step) and an
 * epoch is ceil(images / batch) steps: 1B images at a global batch of 8192 is 122,071 steps;
 * `1 epoch of imagenet_1k at 4096` is ceil(1,281,167 / 4096) = 313 steps whatever this run's batch,
 * which is what it says.
 */
export function durationSteps(d: WrittenDuration, run: RunSize): number | null {
  if (d.unit === "steps") return d.amount;
  if (d.unit === "images") return Math.ceil(d.amount / run.globalBatch);
  // An epoch is a whole number of steps (its last batch may be partial), so 30 epochs end where the 31st begins.
  if (d.of) return Math.ceil(d.amount * Math.ceil(d.of.images / d.of.batch));
  if (run.datasetImages === null) return null;
  return Math.ceil(d.amount * Math.ceil(run.datasetImages / run.globalBatch));
}

export function durationIR(d: WrittenDuration, run: RunSize): DurationIR {
  return { amount: d.amount, unit: d.unit, of: d.of, steps: durationSteps(d, run) };
}

export function describeDuration(d: WrittenDuration): string {
  const unit = d.amount === 1 ? d.unit.slice(0, -1) : d.unit;
  const base = `${d.amount.toLocaleString("en-US")} ${unit}`;
  return d.of ? `${base} of ${d.of.dataset} at ${d.of.batch}` : base;
}

export interface ScheduleProblem {
  code: DiagnosticCode;
  message: string;
  span: Span;
  related?: { span: Span; message: string };
  hint?: string;
}

export interface ResolvedSchedule {
  pieces: SchedulePieceIR[];
  problems: ScheduleProblem[];
}

/**
 * Lays the written pieces end to end over [0, totalSteps). Only the last piece may leave out its
 * length (it runs to the end); a piece without a start rate starts where the previous one ended;
 * a jump between pieces must be written `restart`. Nothing is adjusted to make the pieces fit:
 * a mismatch is a problem reported at the user's text.
 */
export function resolveSchedule(written: WrittenPiece[], totalSteps: number | null, run: RunSize): ResolvedSchedule {
  const problems: ScheduleProblem[] = [];
  const pieces: SchedulePieceIR[] = [];
  let cursor = 0;
  let previousEnd: { value: number; span: Span } | null = null;
  for (const [index, piece] of written.entries()) {
    const isLast = index === written.length - 1;
    let length: number | null;
    if (piece.over) {
      length = durationSteps(piece.over, run);
      if (length === null) {
        problems.push({ code: "SEER3002", message: `the length \`${describeDuration(piece.over)}\` needs the dataset size`, span: piece.span, hint: "declare `data.images`, or give the length in steps or images" });
        return { pieces: [], problems };
      }
    } else if (isLast) {
      length = totalSteps === null ? null : totalSteps - cursor;
    } else {
      problems.push({ code: "SEER3010", message: "only the last schedule piece may leave out its length; add `over …`", span: piece.span });
      return { pieces: [], problems };
    }
    const startValue: number | null = piece.kind === "constant" || piece.kind === "step" ? piece.value : piece.from;
    if (startValue === null && previousEnd === null) {
      problems.push({ code: "SEER3010", message: `the first piece needs a start rate: \`${piece.kind} FROM -> TO\``, span: piece.span });
      return { pieces: [], problems };
    }
    const from: number = startValue ?? previousEnd!.value;
    if (previousEnd && startValue !== null && !piece.restart && Math.abs(startValue - previousEnd.value) > 1e-12 * Math.max(1, Math.abs(startValue))) {
      problems.push({
        code: "SEER3004",
        message: `the schedule jumps from ${previousEnd.value} to ${startValue} here`,
        span: piece.span,
        related: { span: previousEnd.span, message: `the previous piece ends at ${previousEnd.value}` },
        hint: `start at ${previousEnd.value} (or leave the start out), or write \`restart\` before the piece if the jump is intended`,
      });
    }
    const values = piece.kind === "linear" || piece.kind === "cosine" ? [from, piece.to] : [from];
    if (values.some((v) => v < 0)) problems.push({ code: "SEER3005", message: "a learning rate cannot be negative", span: piece.span });
    if (length === null) {
      // The run's length is known only at run time; the pieces are laid out then.
      return { pieces: [], problems };
    }
    const start = cursor;
    const end = cursor + length;
    if (totalSteps !== null && end > totalSteps && length > 0) {
      const code = index === 0 && written.length > 1 ? "SEER3003" : "SEER3006";
      problems.push({
        code,
        message: `this piece ends at step ${end.toLocaleString("en-US")} but the run has ${totalSteps.toLocaleString("en-US")} steps`,
        span: piece.span,
        hint: code === "SEER3003" ? "make the warm-up shorter than the run, or the run longer" : "shorten the pieces or lengthen the run",
      });
      return { pieces: [], problems };
    }
    if (length <= 0) {
      problems.push({ code: "SEER3006", message: "this piece has no steps left in the run", span: piece.span });
      return { pieces: [], problems };
    }
    if (piece.kind === "constant") pieces.push({ kind: "constant", start_step: start, end_step: end, value: from });
    else if (piece.kind === "step") {
      const milestones: Array<{ step: number; factor: number }> = [];
      let value: number = from;
      for (const m of piece.milestones) {
        const at = durationSteps(m.at, run);
        if (at === null) {
          problems.push({ code: "SEER3002", message: `the point \`${describeDuration(m.at)}\` needs the dataset size`, span: m.span });
          return { pieces: [], problems };
        }
        if (at <= 0 || at >= length) {
          problems.push({ code: "SEER3008", message: `this step point (step ${at.toLocaleString("en-US")}) is outside the schedule's ${length.toLocaleString("en-US")} steps`, span: m.span });
          return { pieces: [], problems };
        }
        if (milestones.length > 0 && at <= milestones[milestones.length - 1].step - start) {
          problems.push({ code: "SEER3010", message: "step points must be in increasing order", span: m.span });
          return { pieces: [], problems };
        }
        milestones.push({ step: start + at, factor: m.factor });
        value *= m.factor;
      }
      pieces.push({ kind: "step", start_step: start, end_step: end, value: from, milestones });
      previousEnd = { value, span: piece.span };
      cursor = end;
      continue;
    } else pieces.push({ kind: piece.kind, start_step: start, end_step: end, from, to: piece.to });
    previousEnd = { value: piece.kind === "constant" ? from : piece.to, span: piece.span };
    cursor = end;
  }
  if (totalSteps !== null && cursor < totalSteps && pieces.length > 0) {
    const last = written[written.length - 1];
    problems.push({
      code: "SEER3006",
      message: `the schedule ends at step ${cursor.toLocaleString("en-US")} but the run has ${totalSteps.toLocaleString("en-US")} steps`,
      span: last.span,
      hint: "leave out the last piece's `over …` so it runs to the end",
    });
  }
  return { pieces, problems };
}

/** The learning rate at a step (0-based): linear and cosine interpolate over [start, end). */
export function learningRateAt(pieces: readonly SchedulePieceIR[], step: number): number {
  if (pieces.length === 0) throw new Error("learningRateAt: the schedule has no pieces");
  const piece = pieces.find((p) => step >= p.start_step && step < p.end_step) ?? pieces[pieces.length - 1];
  const span = piece.end_step - piece.start_step;
  const t = Math.min(1, Math.max(0, (step - piece.start_step) / span));
  switch (piece.kind) {
    case "constant":
      return piece.value;
    case "linear":
      return piece.from + (piece.to - piece.from) * t;
    case "cosine":
      return piece.to + 0.5 * (piece.from - piece.to) * (1 + Math.cos(Math.PI * t));
    case "step": {
      let value = piece.value;
      for (const m of piece.milestones) if (step >= m.step) value *= m.factor;
      return value;
    }
  }
}
