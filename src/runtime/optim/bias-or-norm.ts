/**
 * Default guess, from a parameter's name, of whether it is a bias or a normalisation-layer weight.
 * Recognises:
 *   - a last segment `bias` (PyTorch) or `beta`/`gamma` (Keras-style tfjs names);
 *   - a segment naming a norm layer: `bn`, `bn1`, `norm`, `final_bn`, `batchnorm`, `batch_normalization_3`;
 *   - torchvision's Conv2dNormActivation, where index 1 is the BatchNorm: `stem.1.weight`,
 *     `proj.1.weight`, `f.a.1.weight`, `f.b.1.weight`, `f.c.1.weight`.
 * Segments are separated by `.` or `/`. A model with another naming should pass its own
 * `isBiasOrNorm` to `createOptimizer`.
 */
export function isBiasOrNormByName(name: string): boolean {
  const segments = name.split(/[./]/);
  const last = segments[segments.length - 1];
  if (last === "bias" || last === "beta" || last === "gamma") return true;
  if (segments.some((segment) => /(^|_)(bn|norm|batchnorm|batch_normalization)(_?\d+)?$/i.test(segment))) return true;
  return /(^|[./])(stem|proj|f[./][abc])[./]1[./]weight$/.test(name);
}
