// Classification metrics from per-class scores: top-1/top-5 accuracy, per-class accuracy and the
// confusion matrix. Pure arithmetic on typed arrays (no TensorFlow.js).

export interface ClassificationMetrics {
  /** Test images scored. */
  count: number;
  top1: number;
  /** Top-5 accuracy (top-k with k = min(5, classes)). */
  top5: number;
  /** Accuracy of each class's images; NaN for a class with no test image (null in JSON). */
  perClass: number[];
  /** confusion[true class][predicted class] = images. */
  confusion: number[][];
}

/**
 * Ranks classes by score for each row of `scores` ([count, classes], row-major); ties go to the lower
 * class index, so the result does not depend on the order the scores were summed in.
 */
export function classificationMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): ClassificationMetrics {
  const count = labels.length;
  if (scores.length !== count * classes) throw new Error(`internal: ${scores.length} scores for ${count} rows of ${classes} classes`);
  const k = Math.min(5, classes);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let top1 = 0;
  let topK = 0;
  const best: number[] = [];
  for (let i = 0; i < count; i++) {
    const base = i * classes;
    best.length = 0;
    // Insertion into a k-long list: strictly greater scores move ahead, so equal scores keep index order.
    for (let c = 0; c < classes; c++) {
      const s = scores[base + c];
      let at = best.length;
      while (at > 0 && s > scores[base + best[at - 1]]) at--;
      if (at < k) {
        best.splice(at, 0, c);
        if (best.length > k) best.pop();
      }
    }
    const truth = labels[i];
    const predicted = best[0];
    confusion[truth][predicted]++;
    if (predicted === truth) top1++;
    if (best.includes(truth)) topK++;
  }
  const perClass = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? Number.NaN : row[c] / total;
  });
  return { count, top1: count ? top1 / count : 0, top5: count ? topK / count : 0, perClass, confusion };
}
