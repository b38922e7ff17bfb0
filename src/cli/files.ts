import { readdirSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { UsageError } from "./args.js";

function walkSeer(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) walkSeer(path, out);
    else if (name.endsWith(".seer")) out.push(path);
  }
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands the FILES argument of check/fmt: files, folders (every .seer below) and quoted globs
 * (`"experiments/**\/*.seer"`). A name that matches nothing is a usage error (exit 2).
 */
export function expandSeerFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  for (const arg of args) {
    if (/[*?]/.test(arg)) {
      const base = arg.slice(0, arg.search(/[*?]/)).replace(/[^/]*$/, "") || ".";
      const re = globToRegExp(resolve(arg).split(sep).join("/"));
      const candidates: string[] = [];
      try {
        walkSeer(resolve(base), candidates);
      } catch {
        throw new UsageError(`no files match \`${arg}\``);
      }
      const matched = candidates.filter((f) => re.test(f.split(sep).join("/")));
      if (matched.length === 0) throw new UsageError(`no files match \`${arg}\``);
      files.push(...matched);
      continue;
    }
    let st;
    try {
      st = statSync(arg);
    } catch {
      throw new UsageError(`cannot read \`${arg}\`: no such file or folder`);
    }
    if (st.isDirectory()) {
      const found: string[] = [];
      walkSeer(arg, found);
      if (found.length === 0) throw new UsageError(`no .seer files in \`${arg}\``);
      files.push(...found);
    } else files.push(arg);
  }
  return [...new Set(files.map((f) => resolve(f)))];
}
