// Learning-rate schedules for VISSL, and a model of how VISSL (ClassyVision's param schedulers) reads
// them back, so the target can prove a mapping exact instead of assuming it.
//
// What VISSL does with `OPTIMIZER.param_schedulers.lr` (ClassyVision / fvcore, read from their source):
//   - `where` = updates done / (epochs x iterations per epoch), a float in [0, 1), passed to the
//     scheduler before every optimizer step (`update_interval: step`) or at each epoch start (`epoch`).
//   - composite: walks the pieces while `where + 1e-6 > running total of lengths`; with `rescaled`
//     interval scaling a piece sees `(where - its start) / its length`. The lengths must sum to 1
//     within 1e-3, and when their float sum is not exactly 1 the last one is replaced by
//     1 - sum(the others).
//   - linear: `w * end + (1 - w) * start`; cosine: `end + (start - end) * (1 + cos(pi * w)) / 2`;
//     constant: its value; multistep: `values[bisect_right(milestones, int((w + 1e-6) * epochs))]`.

import type { SchedulePieceIR, WrittenPieceIR } from "../ir.js";

/** ClassyVision's `ClassyParamScheduler.WHERE_EPSILON`. */
export const WHERE_EPSILON = 1e-6;

export type VisslPiece =
  | { name: "constant"; value: number }
  | { name: "linear"; start_value: number; end_value: number }
  | { name: "cosine"; start_value: number; end_value: number };

/** An LR schedule as VISSL's config states it. */
export type VisslSchedule =
  | { kind: "single"; piece: VisslPiece; update_interval: "step" | "epoch" }
  | { kind: "composite"; pieces: VisslPiece[]; lengths: number[]; update_interval: "step" }
  | { kind: "multistep"; values: number[]; milestones: number[]; update_interval: "epoch" };

/** Left-to-right float sum, as Python's `sum` adds. */
function pythonSum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * Lengths as fractions of the run, the last one written as VISSL would recompute it (1 - sum of the
 * others), so the file holds exactly the numbers VISSL uses.
 */
export function compositeLengths(spans: readonly number[], total: number): number[] {
  const lengths = spans.map((span) => span / total);
  lengths[lengths.length - 1] = 1 - pythonSum(lengths.slice(0, -1));
  return lengths;
}

function pieceValue(piece: VisslPiece, where: number): number {
  switch (piece.name) {
    case "constant":
      return piece.value;
    case "linear":
      return where * piece.end_value + (1 - where) * piece.start_value;
    case "cosine":
      return piece.end_value + 0.5 * (piece.start_value - piece.end_value) * (1 + Math.cos(Math.PI * where));
  }
}

/** Which composite piece VISSL runs at `where`, and the rescaled position inside it. */
export function compositeSelect(lengths: readonly number[], where: number): { index: number; where: number } {
  let index = 0;
  let runningTotal = lengths[0];
  while (where + WHERE_EPSILON > runningTotal && index < lengths.length - 1) {
    index += 1;
    runningTotal += lengths[index];
  }
  const start = runningTotal - lengths[index];
  return { index, where: (where - start) / lengths[index] };
}

function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The learning rate VISSL applies at `step` (0-based) of a run of `epochs` x `stepsPerEpoch` steps.
 * `epoch` schedules are evaluated at the start of the step's epoch, as VISSL updates them then.
 */
export function visslLearningRateAt(schedule: VisslSchedule, step: number, epochs: number, stepsPerEpoch: number): number {
  const total = epochs * stepsPerEpoch;
  const effectiveStep = schedule.update_interval === "epoch" ? Math.floor(step / stepsPerEpoch) * stepsPerEpoch : step;
  const where = effectiveStep / total;
  switch (schedule.kind) {
    case "single":
      return pieceValue(schedule.piece, where);
    case "composite": {
      const chosen = compositeSelect(schedule.lengths, where);
      return pieceValue(schedule.pieces[chosen.index], chosen.where);
    }
    case "multistep": {
      const epoch = Math.trunc((where + WHERE_EPSILON) * epochs);
      return schedule.values[bisectRight(schedule.milestones, epoch)];
    }
  }
}

/** A schedule member over [start, end) of the run, in steps or epochs. */
interface Span {
  start: number;
  end: number;
  piece: VisslPiece;
}

/** IR step pieces become constant spans split at their milestones; values multiply in the IR's order. */
function spansFromIR(pieces: readonly SchedulePieceIR[]): Span[] {
  const spans: Span[] = [];
  for (const p of pieces) {
    if (p.kind === "constant") spans.push({ start: p.start_step, end: p.end_step, piece: { name: "constant", value: p.value } });
    else if (p.kind === "linear") spans.push({ start: p.start_step, end: p.end_step, piece: { name: "linear", start_value: p.from, end_value: p.to } });
    else if (p.kind === "cosine") spans.push({ start: p.start_step, end: p.end_step, piece: { name: "cosine", start_value: p.from, end_value: p.to } });
    else {
      let value = p.value;
      let start = p.start_step;
      for (const m of p.milestones) {
        spans.push({ start, end: m.step, piece: { name: "constant", value } });
        value *= m.factor;
        start = m.step;
      }
      spans.push({ start, end: p.end_step, piece: { name: "constant", value } });
    }
  }
  return spans;
}

function scheduleFromSpans(spans: readonly Span[], total: number, interval: "step" | "epoch"): VisslSchedule {
  if (spans.length === 1) return { kind: "single", piece: spans[0].piece, update_interval: interval };
  return {
    kind: "composite",
    pieces: spans.map((s) => s.piece),
    lengths: compositeLengths(
      spans.map((s) => s.end - s.start),
      total,
    ),
    update_interval: "step",
  };
}

/** The pre-training schedule from the IR's pieces (in steps), as one scheduler or a composite updated every step. */
export function visslScheduleFromSteps(pieces: readonly SchedulePieceIR[], totalSteps: number): VisslSchedule {
  return scheduleFromSpans(spansFromIR(pieces), totalSteps, "step");
}

export type EpochScheduleResult = { ok: true; schedule: VisslSchedule } | { ok: false; reason: string };

/**
 * A schedule written in whole epochs (fine-tuning, linear probes), laid out over `epochs` epochs as
 * VISSL counts them. A lone step schedule becomes VISSL's `multistep` (the benchmark configs' shape).
 */
export function visslScheduleFromEpochs(written: readonly WrittenPieceIR[], epochs: number): EpochScheduleResult {
  const wholeEpochs = (d: { amount: number; unit: string; of: unknown } | null, what: string): number | string => {
    if (d === null) return what;
    if (d.unit !== "epochs" || d.of !== null || !Number.isInteger(d.amount)) return `${what} is \`${d.amount} ${d.unit}\`, and VISSL lays out this schedule in whole epochs of its data`;
    return d.amount;
  };
  const spans: Span[] = [];
  let cursor = 0;
  let previousEnd: number | null = null;
  for (const [i, p] of written.entries()) {
    const last = i === written.length - 1;
    let length: number;
    if (p.over === null) {
      if (!last) return { ok: false, reason: "only the last piece may run to the end" };
      length = epochs - cursor;
    } else {
      const over = wholeEpochs(p.over, "a piece length");
      if (typeof over === "string") return { ok: false, reason: over };
      length = over;
    }
    if (length <= 0 || cursor + length > epochs) return { ok: false, reason: `the pieces do not fit the ${epochs} epochs` };
    const start = cursor;
    const end = cursor + length;
    if (p.kind === "constant") spans.push({ start, end, piece: { name: "constant", value: p.value } });
    else if (p.kind === "step") {
      let value = p.value;
      let at = start;
      for (const m of p.milestones) {
        const offset = wholeEpochs(m.at, "a step point");
        if (typeof offset === "string") return { ok: false, reason: offset };
        if (start + offset <= at || start + offset >= end) return { ok: false, reason: `the step point at ${offset} epochs is not inside its piece, after the previous one` };
        spans.push({ start: at, end: start + offset, piece: { name: "constant", value } });
        value *= m.factor;
        at = start + offset;
      }
      spans.push({ start: at, end, piece: { name: "constant", value } });
      previousEnd = value;
      cursor = end;
      continue;
    } else {
      const from = p.from ?? previousEnd;
      if (from === null) return { ok: false, reason: "the first piece needs a start rate" };
      spans.push({ start, end, piece: { name: p.kind, start_value: from, end_value: p.to } });
    }
    previousEnd = p.kind === "constant" ? p.value : p.to;
    cursor = end;
  }
  if (cursor !== epochs) return { ok: false, reason: `the pieces cover ${cursor} of the ${epochs} epochs` };
  if (spans.every((s) => s.piece.name === "constant") && spans.length > 1) {
    return {
      ok: true,
      schedule: {
        kind: "multistep",
        values: spans.map((s) => (s.piece as { value: number }).value),
        milestones: spans.slice(1).map((s) => s.start),
        update_interval: "epoch",
      },
    };
  }
  const interval = spans.length === 1 && spans[0].piece.name === "constant" ? "epoch" : "step";
  return { ok: true, schedule: scheduleFromSpans(spans, epochs, interval) };
}
