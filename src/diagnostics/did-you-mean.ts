/** Damerau–Levenshtein (optimal string alignment) distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  const rows = s.length + 1, cols = t.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => {
    const row = new Array<number>(cols).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The known names close enough to `input` to be what the user meant, best first.
 * The threshold grows with the length of the input, so short names need near-exact matches.
 */
export function suggestNames(input: string, candidates: Iterable<string>, max = 3): string[] {
  const threshold = Math.max(1, Math.floor(input.length * 0.4));
  const scored: Array<{ name: string; distance: number }> = [];
  for (const name of new Set(candidates)) {
    if (name === input) continue;
    // The edit distance is at least the difference in length, so far longer or shorter names are skipped unmeasured (a 1 MB name stays fast).
    const prefix = input.length >= 3 && name.toLowerCase().startsWith(input.toLowerCase());
    if (!prefix && Math.abs(name.length - input.length) > threshold) continue;
    const distance = name.toLowerCase() === input.toLowerCase() ? 0 : editDistance(input, name);
    if (distance <= threshold || prefix) scored.push({ name, distance: prefix ? Math.min(distance, threshold) : distance });
  }
  scored.sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  return scored.slice(0, max).map((s) => s.name);
}

/** " Did you mean `a` or `b`?" or the empty string. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "";
  const quoted = suggestions.map((s) => `\`${s}\``);
  const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
  return ` Did you mean ${list}?`;
}
