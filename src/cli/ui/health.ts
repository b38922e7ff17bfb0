/**
 * SwAV health from the step events: how many prototypes the codes use and how evenly, and whether
 * the run shows the classic collapse. When every image maps to the same embedding, every row of
 * scores is the same, Sinkhorn spreads each code evenly, the codes' argmax lands on one prototype,
 * and the swapped-prediction loss cannot go below ln K (the cross-entropy of an even code against any
 * softmax is at least ln K) — so "loss stuck at ln K while almost no prototypes are in use" is the
 * signature. Sinkhorn's equipartition keeps a healthy run well away from it.
 */
export interface HealthSample {
  loss: number;
  prototypesUsed: number;
  /** Entropy of the batch-mean code in nats; not measured when 0 or not finite. */
  assignmentEntropy: number;
  maxEntropy: number;
}

export type HealthVerdict = "warming up" | "healthy" | "uneven" | "collapsed";

export interface SwavHealth {
  verdict: HealthVerdict;
  /** Steps the figures average over. */
  window: number;
  prototypes: number;
  /** The most prototypes one batch can pick: min(K, batch). */
  reachable: number;
  prototypesUsed: number;
  /** Mean entropy over the window, or null when the trainer did not measure it. */
  entropy: number | null;
  maxEntropy: number;
  loss: number;
  /** Largest minus smallest loss in the window. */
  lossSpread: number;
  /** One line for people, or null when healthy or still warming up. */
  message: string | null;
}

/** Steps the health figures (and the dashboard's rates and ETA) average over. */
export const HEALTH_WINDOW = 20;
/** Fewer steps than this say nothing yet: the first steps of SwAV always look odd. */
export const HEALTH_MIN_STEPS = 10;
/** A collapsed run uses one or two prototypes; at most a tenth of those reachable is the alarm. */
const COLLAPSE_USED_SHARE = 0.1;
/** "Near ln K": collapsed loss sits at ln K or just above it (it cannot go below). */
const COLLAPSE_LOSS_SHARE = 0.95;
/** "Stuck": the loss moves by less than 2% of ln K over the window. */
const STUCK_SPREAD_SHARE = 0.02;
/** Below a quarter of the reachable prototypes, or half the largest entropy, usage is uneven. */
const UNEVEN_USED_SHARE = 0.25;
const UNEVEN_ENTROPY_SHARE = 0.5;

export function assessSwavHealth(samples: readonly HealthSample[], prototypes: number, batch: number): SwavHealth {
  const n = samples.length;
  const reachable = Math.max(1, Math.min(prototypes, batch));
  const maxEntropy = n > 0 ? samples[n - 1].maxEntropy : Math.log(prototypes);
  const mean = (f: (s: HealthSample) => number) => (n === 0 ? 0 : samples.reduce((a, s) => a + f(s), 0) / n);
  const measured = samples.filter((s) => Number.isFinite(s.assignmentEntropy) && s.assignmentEntropy > 0);
  const entropy = measured.length === 0 ? null : measured.reduce((a, s) => a + s.assignmentEntropy, 0) / measured.length;
  const losses = samples.map((s) => s.loss);
  const base = {
    window: n,
    prototypes,
    reachable,
    prototypesUsed: mean((s) => s.prototypesUsed),
    entropy,
    maxEntropy,
    loss: mean((s) => s.loss),
    lossSpread: n === 0 ? 0 : Math.max(...losses) - Math.min(...losses),
  };
  if (n < HEALTH_MIN_STEPS) return { ...base, verdict: "warming up", message: null };

  const used = `${base.prototypesUsed.toFixed(1)} of ${prototypes} prototypes`;
  const fewUsed = base.prototypesUsed <= Math.max(2, COLLAPSE_USED_SHARE * reachable);
  const stuckAtLnK = base.loss >= COLLAPSE_LOSS_SHARE * maxEntropy && base.lossSpread <= STUCK_SPREAD_SHARE * maxEntropy;
  if (fewUsed && stuckAtLnK) {
    return {
      ...base,
      verdict: "collapsed",
      message: `SwAV collapse: loss ${base.loss.toFixed(3)} stuck at ln K = ${maxEntropy.toFixed(3)} with ${used} in use over the last ${n} steps; lower the learning rate or temperature, or freeze the prototypes longer`,
    };
  }
  const unevenUse = base.prototypesUsed < UNEVEN_USED_SHARE * reachable;
  const unevenEntropy = entropy !== null && entropy < UNEVEN_ENTROPY_SHARE * maxEntropy;
  if (unevenUse || unevenEntropy) {
    const what = unevenUse ? `only ${used} in use (a batch can reach ${reachable})` : `assignment entropy ${entropy!.toFixed(2)} of ln K = ${maxEntropy.toFixed(2)}`;
    return { ...base, verdict: "uneven", message: `prototypes used unevenly: ${what} over the last ${n} steps` };
  }
  return { ...base, verdict: "healthy", message: null };
}
