// The README's JavaScript example, run as written against the built package, so it stays true.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

const root = new URL("../../", import.meta.url);

test("the README's JS example prints allow ok", () => {
  const readme = readFileSync(new URL("README.md", root), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 1, "the README has one ```js example");
  const pkg = new URL("pkg/scopegate.js", root).href;
  const code = blocks[0].replace(`from "scopegate"`, `from ${JSON.stringify(pkg)}`);
  assert.notEqual(code, blocks[0], "the example imports from \"scopegate\"");
  const dir = mkdtempSync(join(tmpdir(), "scopegate-readme-"));
  try {
    writeFileSync(join(dir, "example.mjs"), code);
    const out = execFileSync(process.execPath, [join(dir, "example.mjs")], { encoding: "utf8" });
    assert.equal(out.trim(), "allow ok");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
