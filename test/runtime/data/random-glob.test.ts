import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileGlob, globMatches } from "../../../src/runtime/data/glob.js";
import { PathTable } from "../../../src/runtime/data/path-table.js";
import { hashKey, Rng, roundHalfEven, shuffledIndices } from "../../../src/runtime/data/random.js";

describe("counter-based randomness", () => {
  it("is a pure function of the key and sensitive to every component", () => {
    const a = Rng.forKey([1, 2, 3]);
    const b = Rng.forKey([1, 2, 3]);
    for (let i = 0; i < 100; i++) assert.equal(a.nextUint32(), b.nextUint32());
    const keys = [[1, 2, 3], [1, 2, 4], [1, 3, 2], [2, 2, 3], [1, 2, 3 + 2 ** 32], [1, 2]];
    const hashes = new Set(keys.map((k) => hashKey(k)));
    assert.equal(hashes.size, keys.length);
  });

  it("draws uniform values in [0, 1) with the right mean and variance", () => {
    const rng = Rng.forKey([7]);
    const n = 100000;
    let sum = 0;
    let squares = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      sum += u;
      squares += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    assert.ok(min >= 0 && max < 1);
    assert.ok(Math.abs(sum / n - 0.5) < 5 * Math.sqrt(1 / 12 / n));
    assert.ok(Math.abs(squares / n - sum ** 2 / n ** 2 - 1 / 12) < 0.002);
  });

  it("rounds halves to even like Python", () => {
    // Python: round(0.5)=0, round(1.5)=2, round(2.5)=2, round(3.5)=4, round(2.4)=2, round(2.6)=3, round(-1.5)=-2
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, -1.5, -0.4].map(roundHalfEven), [0, 2, 2, 4, 2, 3, -2, 0]);
  });

  it("shuffles into uniformly random permutations", () => {
    const n = 5;
    const trials = 20000;
    const counts = Array.from({ length: n }, () => new Array(n).fill(0));
    for (let t = 0; t < trials; t++) {
      const order = shuffledIndices(n, Rng.forKey([11, t]));
      assert.deepEqual([...order].sort(), [0, 1, 2, 3, 4]);
      order.forEach((value, position) => counts[value][position]++);
    }
    const expected = trials / n;
    const sd = Math.sqrt(trials * (1 / n) * (1 - 1 / n));
    for (const row of counts) for (const c of row) assert.ok(Math.abs(c - expected) < 5 * sd, `count ${c} vs ${expected}`);
  });
});

describe("globs", () => {
  const matches = (pattern: string, path: string) => globMatches(compileGlob(pattern), path);

  it("matches file names when the pattern has no slash, case-insensitively", () => {
    assert.ok(matches("*.jpg", "a/b/photo.JPG"));
    assert.ok(matches("*.{jpg,png}", "x.png"));
    assert.ok(!matches("*.{jpg,png}", "x.gif"));
    assert.ok(matches("img_??.png", "deep/img_01.png"));
    assert.ok(!matches("img_??.png", "img_001.png"));
    assert.ok(matches("[!.]*", "visible.jpg"));
    assert.ok(!matches("[!.]*", ".hidden.jpg"));
  });

  it("matches relative paths when the pattern has a slash", () => {
    assert.ok(matches("cats/*.jpg", "cats/a.jpg"));
    assert.ok(!matches("cats/*.jpg", "cats/sub/a.jpg"));
    assert.ok(matches("cats/**/*.jpg", "cats/a.jpg"));
    assert.ok(matches("cats/**/*.jpg", "cats/x/y/a.jpg"));
    assert.ok(matches("**/thumbs/**", "a/thumbs/b/c.png"));
    assert.ok(matches("./top/*.png", "top/a.png"));
    assert.ok(!matches("top/*.png", "other/top/a.png"));
  });

  it("treats regex characters literally", () => {
    assert.ok(matches("a+b(1).jpg", "a+b(1).jpg"));
    assert.ok(!matches("a.jpg", "abjpg"));
  });
});

describe("PathTable", () => {
  it("stores and returns many paths, including non-ASCII ones", () => {
    const table = new PathTable();
    const paths = Array.from({ length: 50000 }, (_, i) => `dir-${i % 97}/photo ${i} — été.jpg`);
    for (const p of paths) table.push(p);
    assert.equal(table.length, paths.length);
    for (const i of [0, 1, 4095, 4096, 49999]) assert.equal(table.get(i), paths[i]);
    assert.throws(() => table.get(50000), RangeError);
  });
});
