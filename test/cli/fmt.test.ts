import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { execa } from "execa";
import { REPO_ROOT } from "../check/helpers.js";

/** `seerc fmt` as a process: --check names unformatted files and exits 1, fmt rewrites them, a second run changes nothing, syntax errors are left alone. */

async function seerc(...args: string[]) {
  const r = await execa("node", ["--import", "tsx", "src/cli/entry.ts", ...args], { cwd: REPO_ROOT, reject: false, env: { NO_COLOR: "1" } });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

const MESSY = "experiment   messy{\nseed=0 // keep me\n   loss = swav {prototypes=30,temperature=0.1}\n}\n";
const TIDY = "experiment messy {\n  seed = 0  // keep me\n  loss = swav { prototypes = 30, temperature = 0.1 }\n}\n";
const BROKEN = "experiment broken {\n  seed = 0 ]\n}\n";

describe("seerc fmt", () => {
  const dir = mkdtempSync(join(tmpdir(), "seerc-fmt-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const messy = join(dir, "messy.seer");
  const tidy = join(dir, "tidy.seer");

  it("--check writes nothing, names the unformatted files and exits 1", async () => {
    writeFileSync(messy, MESSY);
    writeFileSync(tidy, TIDY);
    const r = await seerc("fmt", "--check", dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(r.stdout.split("\n"), [`not formatted: ${messy}`, "1 of 2 files need `seerc fmt`"]);
    assert.equal(readFileSync(messy, "utf8"), MESSY);
  });

  it("rewrites the file in canonical layout, keeping its comment, and says so", async () => {
    const r = await seerc("fmt", dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `formatted ${messy}`);
    assert.equal(readFileSync(messy, "utf8"), TIDY);
    assert.equal(readFileSync(tidy, "utf8"), TIDY);
  });

  it("is idempotent: a second run changes nothing and --check passes", async () => {
    const again = await seerc("fmt", dir);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, "");
    assert.equal(readFileSync(messy, "utf8"), TIDY);
    const check = await seerc("fmt", "--check", messy, tidy);
    assert.equal(check.code, 0);
    assert.equal(check.stdout, "");
  });

  it("leaves a file with syntax errors as it is, reports them and exits 2", async () => {
    const broken = join(dir, "broken.seer");
    writeFileSync(broken, BROKEN);
    const r = await seerc("fmt", broken);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken\.seer:2:12: error SEER1002/);
    assert.equal(readFileSync(broken, "utf8"), BROKEN);
    rmSync(broken);
  });

  it("--stdout prints the formatted text and leaves the file alone", async () => {
    writeFileSync(messy, MESSY);
    const r = await seerc("fmt", "--stdout", messy);
    assert.equal(r.code, 0);
    assert.equal(r.stdout + "\n", TIDY);
    assert.equal(readFileSync(messy, "utf8"), MESSY);
  });

  it("the repository's .seer files are formatted", async () => {
    const r = await seerc("fmt", "--check", "experiments/", "stdlib/");
    assert.equal(r.code, 0, r.stdout);
  });
});
