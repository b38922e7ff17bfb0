import type { Rule } from "./types.js";

/** SEER4004 (scale/ratio ranges) and SEER4003 (crop size vs the trunk's total stride). */
export const crops: Rule = ({ ctx, exp, derived }) => {
  const list = exp.augment?.crop ?? [];
  list.forEach((crop, i) => {
    const span = ctx.spans.get(`augment.crop.${i}`);
    const [lo, hi] = crop.scale;
    if (!(lo > 0 && hi <= 1 && lo <= hi)) {
      ctx.report("SEER4004", `a crop's scale range must lie in (0, 1] with the lower end first; found ${lo} .. ${hi}`, span, {
        hint: "the scale is the fraction of the image's area the crop covers before resizing",
      });
    }
    const [rlo, rhi] = crop.ratio;
    if (!(rlo > 0 && rlo <= rhi)) ctx.report("SEER4004", `a crop's aspect-ratio range must be positive with the lower end first; found ${rlo} .. ${rhi}`, span);
    const stride = derived.table?.totalStride;
    if (stride && crop.size % stride !== 0) {
      const down = Math.max(stride, Math.floor(crop.size / stride) * stride);
      const up = Math.ceil(crop.size / stride) * stride;
      ctx.report("SEER4003", `crop size ${crop.size}px is not a multiple of the trunk's total stride ${stride}: the last feature map is cut unevenly`, span, {
        suggestions: [...new Set([`${down}px`, `${up}px`])],
      });
    }
  });
};
