import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { DataSourceError, openSource, type ListEvent } from "../../../src/runtime/data/index.js";
import { FolderSource } from "../../../src/runtime/data/sources.js";
import { makeTempDir, writeSolid, writeText } from "./fixtures.js";

async function collect(events: AsyncIterable<ListEvent>): Promise<{ paths: string[]; issues: { path: string; reason: string }[] }> {
  const paths: string[] = [];
  const issues: { path: string; reason: string }[] = [];
  for await (const e of events) {
    if (e.kind === "sample") paths.push(e.path!);
    else issues.push(e.skipped);
  }
  return { paths, issues };
}

function expectDataError(code: string, path: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof DataSourceError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, path);
    return true;
  };
}

describe("folder sources", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("list lazily: the first file arrives before most folders are opened, and the size is known only afterwards", async () => {
    const root = join(dir, "many");
    const folders = 40;
    const perFolder = 50;
    for (let f = 0; f < folders; f++) {
      await mkdir(join(root, `d${String(f).padStart(2, "0")}`), { recursive: true });
      await Promise.all(Array.from({ length: perFolder }, (_, i) => writeFile(join(root, `d${String(f).padStart(2, "0")}`, `img${i}.jpg`), "")));
    }
    const source = (await openSource({ kind: "folder", path: root })) as FolderSource;
    assert.equal(source.size(), null);
    assert.equal(source.randomAccess, false);
    const listing = source.list();
    const first = await listing.next();
    assert.equal(first.done, false);
    assert.ok(source.progress.directoriesOpened <= 3, `opened ${source.progress.directoriesOpened} folders before the first file`);
    assert.equal(source.progress.finished, false);
    let count = 1;
    let previous = "";
    for await (const e of listing) {
      if (e.kind !== "sample") continue;
      count++;
      const rel = relative(root, e.path!);
      assert.ok(rel.split("/")[0] >= previous.split("/")[0], "folders in sorted order");
      previous = rel;
    }
    assert.equal(count, folders * perFolder);
    assert.equal(source.size(), folders * perFolder);
    const fresh = (await openSource({ kind: "folder", path: root, exclude: ["d0*"] })) as FolderSource;
    assert.equal(await fresh.count(), (folders - 10) * perFolder);
    assert.equal(fresh.size(), (folders - 10) * perFolder);
    assert.equal(source.progress.finished, true);
  });

  it("applies include and exclude globs, defaulting to image extensions", async () => {
    const root = join(dir, "globs");
    await writeSolid(join(root, "a.png"), [1, 2, 3]);
    await writeSolid(join(root, "B.JPG"), [1, 2, 3], 8, "jpeg");
    await writeText(join(root, "notes.txt"), "hello");
    await writeSolid(join(root, "thumbs", "t.png"), [1, 2, 3]);
    await writeSolid(join(root, "keep", "k.webp"), [1, 2, 3], 8, "webp");
    const names = async (include?: string[], exclude?: string[]) =>
      (await collect((await openSource({ kind: "folder", path: root, include, exclude })).list())).paths.map((p) => relative(root, p));
    assert.deepEqual(await names(), ["B.JPG", "a.png", "keep/k.webp", "thumbs/t.png"]);
    assert.deepEqual(await names(undefined, ["thumbs"]), ["B.JPG", "a.png", "keep/k.webp"]);
    assert.deepEqual(await names(["*.png"], ["thumbs/**"]), ["a.png"]);
    assert.deepEqual(await names(["keep/*"]), ["keep/k.webp"]);
  });

  it("detects symlink loops, walks a folder reached twice once, and reports dangling links", async () => {
    const root = join(dir, "links");
    await writeSolid(join(root, "a", "x.png"), [1, 2, 3]);
    await symlink("..", join(root, "a", "up"));
    await symlink("a", join(root, "b"));
    await symlink("nowhere.png", join(root, "dangling.png"));
    const { paths, issues } = await collect((await openSource({ kind: "folder", path: root })).list());
    assert.deepEqual(paths.map((p) => relative(root, p)), ["a/x.png"]);
    assert.deepEqual(
      issues.map((i) => [relative(root, i.path), i.reason]),
      [
        ["a/up", "symlink-loop"],
        ["dangling.png", "missing"],
      ],
    );
  });

  it("refuses missing, non-folder and image-less paths with the path in the message", async () => {
    await assert.rejects(openSource({ kind: "folder", path: join(dir, "absent") }), expectDataError("data-not-found", /absent does not exist/));
    const file = await writeText(join(dir, "plain.txt"), "x");
    await assert.rejects(openSource({ kind: "folder", path: file }), expectDataError("data-not-a-directory", /plain\.txt is not a folder/));
    await mkdir(join(dir, "empty"));
    await assert.rejects(openSource({ kind: "folder", path: join(dir, "empty") }), expectDataError("data-empty", /no image files .* under .*empty/));
    await writeText(join(dir, "texts", "a.txt"), "x");
    await assert.rejects(openSource({ kind: "folder", path: join(dir, "texts") }), expectDataError("data-empty", /texts/));
  });
});

describe("image_folder and list sources", () => {
  let dir = "";
  let cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir()));
  after(() => cleanup());

  it("label files by their sorted class folder", async () => {
    const root = join(dir, "classes");
    await writeSolid(join(root, "dog", "nested", "3.png"), [1, 2, 3]);
    await writeSolid(join(root, "cat", "2.png"), [1, 2, 3]);
    await writeSolid(join(root, "cat", "1.png"), [1, 2, 3]);
    await writeSolid(join(root, "zebra", "z.png"), [1, 2, 3]);
    await writeText(join(root, "README.txt"), "not a class");
    const source = await openSource({ kind: "image_folder", path: root });
    assert.equal(source.randomAccess, true);
    assert.deepEqual(source.classNames, ["cat", "dog", "zebra"]);
    assert.equal(source.size(), 4);
    assert.deepEqual(
      Array.from({ length: 4 }, (_, i) => [relative(root, source.path(i)!), source.labels![i]]),
      [
        ["cat/1.png", 0],
        ["cat/2.png", 0],
        ["dog/nested/3.png", 1],
        ["zebra/z.png", 2],
      ],
    );
    await mkdir(join(dir, "flat"));
    await writeSolid(join(dir, "flat", "a.png"), [1, 2, 3]);
    await assert.rejects(openSource({ kind: "image_folder", path: join(dir, "flat") }), expectDataError("data-empty", /no class sub-folders/));
  });

  it("read list files with comments, blank lines, relative and absolute paths", async () => {
    const absolute = await writeSolid(join(dir, "elsewhere", "abs.png"), [1, 2, 3]);
    const listFile = await writeText(join(dir, "lists", "train.txt"), `# training images\n\nimgs/a.png\r\n  ${absolute}  \nimgs/missing.png\n`);
    const source = await openSource({ kind: "list", file: listFile });
    assert.equal(source.size(), 3);
    assert.deepEqual([source.path(0), source.path(1), source.path(2)], [join(dir, "lists", "imgs", "a.png"), absolute, join(dir, "lists", "imgs", "missing.png")]);
    await assert.rejects(openSource({ kind: "list", file: await writeText(join(dir, "lists", "empty.txt"), "# nothing\n\n") }), expectDataError("data-empty", /empty\.txt names no files/));
    await assert.rejects(openSource({ kind: "list", file: join(dir, "nope.txt") }), expectDataError("data-not-found", /nope\.txt does not exist/));
  });

  it("validate synthetic specs", async () => {
    await assert.rejects(openSource({ kind: "synthetic", images: 0, classes: 2, size: 32, seed: 1 }), expectDataError("data-config", /images must be an integer >= 1/));
    const source = await openSource({ kind: "synthetic", images: 30, classes: 3, size: 16, seed: 1 });
    assert.equal(source.size(), 30);
    assert.equal(source.classNames!.length, 3);
  });
});
