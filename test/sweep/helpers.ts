import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** Shared by the sweep tests: the CLI with `sweep` registered, temporary sweep files, and readers of what a sweep leaves. */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const TINY = resolve(REPO_ROOT, "test/runtime/fixtures/tiny.seer");
export const SWEEP_FIXTURES = resolve(REPO_ROOT, "test/fixtures/sweep");
const CLI = ["--import", "tsx", resolve(REPO_ROOT, "test/sweep/seerc-with-sweep.ts")];

/** `seerc ARGS` from the sources, never rejecting: tests assert on the exit code. */
export function seerc(args: string[], options: { cwd?: string } = {}) {
  return execa(process.execPath, [...CLI, ...args], { reject: false, cwd: options.cwd ?? REPO_ROOT, env: { NO_COLOR: "1" }, all: true });
}

/** The same, started in the background (the kill-and-resume test signals it). */
export function seercProcess(args: string[]) {
  return execa(process.execPath, [...CLI, ...args], { reject: false, cwd: REPO_ROOT, env: { NO_COLOR: "1" }, buffer: { stdout: true, stderr: true }, lines: false });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `seerc-${prefix}-`));
}

/** Writes a sweep file (importing the tiny runtime experiment by absolute path) into a fresh folder. */
export function writeSweep(body: string, name = "sweep.seer"): string {
  const dir = tempDir("sweep-src");
  const file = join(dir, name);
  writeFileSync(file, `import "${TINY}"\n${body}`);
  return file;
}

export function onlySweepDir(root: string): string {
  const dirs = readdirSync(root);
  if (dirs.length !== 1) throw new Error(`expected one sweep directory in ${root}, found ${dirs.join(", ")}`);
  return join(root, dirs[0]);
}

export function ndjson<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as T);
}

/** Events of one run directory (events.jsonl), as `seerc run` wrote them; none when the run was killed before its first event. */
export function runEvents(runDir: string): Array<{ type: string; status?: string; step?: number; steps?: number; startStep?: number; resumedFrom?: string | null }> {
  const path = join(runDir, "events.jsonl");
  return existsSync(path) ? ndjson(readFileSync(path, "utf8")) : [];
}
