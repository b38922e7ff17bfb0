// Include/exclude globs for folder sources. Matching is case-insensitive because images in the wild mix
// `.JPG`, `.jpeg` and `.Jpg`. A pattern with a `/` is matched against the path relative to the source
// root (always `/`-separated); a pattern without one against the file or folder name alone.
//   `*` any run of characters except `/`, `?` one such character, `**` any number of folders,
//   `[abc]` / `[!abc]` a character class, `{jpg,png}` alternatives.

import { DataSourceError } from "./errors.js";

export interface CompiledGlob {
  pattern: string;
  regex: RegExp;
  matchesBaseName: boolean;
}

const REGEX_SPECIALS = new Set([..."\\^$.|+()[]{}*?/"]);

function escapeChar(ch: string): string {
  return REGEX_SPECIALS.has(ch) ? `\\${ch}` : ch;
}

export function compileGlob(pattern: string): CompiledGlob {
  const source = pattern.startsWith("./") ? pattern.slice(2) : pattern;
  let out = "";
  let braceDepth = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "*") {
      if (source[i + 1] === "*") {
        const atSegmentStart = i === 0 || source[i - 1] === "/";
        const next = source[i + 2];
        i++;
        if (atSegmentStart && next === "/") {
          out += "(?:.*/)?";
          i++;
        } else if (atSegmentStart && next === undefined) {
          out += ".*";
        } else {
          out += "[^/]*";
        }
      } else {
        out += "[^/]*";
      }
    } else if (ch === "?") {
      out += "[^/]";
    } else if (ch === "[") {
      const close = source.indexOf("]", i + 2);
      if (close < 0) throw new DataSourceError("data-config", `unclosed "[" in glob "${pattern}"`);
      let body = source.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      out += `[${negated ? "^" : ""}${body.replace(/\\/g, "\\\\").replace(/]/g, "\\]")}]`;
      i = close;
    } else if (ch === "{") {
      braceDepth++;
      out += "(?:";
    } else if (ch === "}" && braceDepth > 0) {
      braceDepth--;
      out += ")";
    } else if (ch === "," && braceDepth > 0) {
      out += "|";
    } else if (ch === "\\" && i + 1 < source.length) {
      out += escapeChar(source[++i]);
    } else {
      out += escapeChar(ch);
    }
  }
  if (braceDepth !== 0) throw new DataSourceError("data-config", `unclosed "{" in glob "${pattern}"`);
  return { pattern, regex: new RegExp(`^${out}$`, "i"), matchesBaseName: !source.includes("/") };
}

/** `relativePath` is `/`-separated, relative to the source root. */
export function globMatches(glob: CompiledGlob, relativePath: string): boolean {
  if (glob.matchesBaseName) {
    const slash = relativePath.lastIndexOf("/");
    return glob.regex.test(slash < 0 ? relativePath : relativePath.slice(slash + 1));
  }
  return glob.regex.test(relativePath);
}

export function anyGlobMatches(globs: readonly CompiledGlob[], relativePath: string): boolean {
  for (const glob of globs) if (globMatches(glob, relativePath)) return true;
  return false;
}

/** File name endings of the formats the bundled sharp/libvips decodes. */
export const IMAGE_EXTENSIONS = ["jpg", "jpeg", "jpe", "jfif", "png", "webp", "gif", "tif", "tiff", "avif", "heic", "heif"];

export const DEFAULT_IMAGE_GLOB = `*.{${IMAGE_EXTENSIONS.join(",")}}`;
