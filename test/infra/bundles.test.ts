import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInFreshProcess } from "../../infra/bundle-load.js";
import { buildBundles, FUNCTION_NAMES, functionTargets, MissingEntryError } from "../../infra/bundles.js";

const outDirs: string[] = [];
const freshOutDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "bundles-"));
  outDirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(outDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("Lambda bundles", () => {
  it("bundle an entry with its AWS SDK client into one ES module that loads alone and exports handler", async () => {
    const outDir = await freshOutDir();

    const [bundle] = await buildBundles([{ name: "fixture", entry: "test/infra/fixtures/sdk-handler.ts" }], {
      outDir,
    });

    expect(bundle?.file).toBe(path.join(outDir, "fixture", "index.mjs"));
    const code = await readFile(bundle?.file ?? "", "utf8");
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//); // the SDK is inside, not imported
    expect(code).not.toMatch(/from\s*["']node-fetch-native/);
    const loaded = await loadInFreshProcess(bundle?.file ?? "");
    expect(loaded.exports).toContain("handler");
  });

  it("a missing entry fails before anything is built, naming the function and the file", async () => {
    const outDir = await freshOutDir();
    const targets = [
      { name: "fixture", entry: "test/infra/fixtures/sdk-handler.ts" },
      { name: "report", entry: "runtime/workers/report.ts" },
    ];

    const build = buildBundles(targets, { outDir });

    await expect(build).rejects.toBeInstanceOf(MissingEntryError);
    await expect(build).rejects.toThrow("report: runtime/workers/report.ts does not exist");
    await expect(readFile(path.join(outDir, "fixture", "index.mjs"))).rejects.toThrow();
  });

  it("every function the stack deploys has a bundle target named after it", () => {
    expect(functionTargets().map((t) => t.name)).toEqual(FUNCTION_NAMES);
    expect([...FUNCTION_NAMES].sort()).toEqual([
      "api",
      "dispatch",
      "extract",
      "load",
      "notify",
      "settle",
      "verify",
    ]);
  });

  // The real entries: a few seconds for the four.
  it("the functions' bundles build, and each loads alone and exports handler", async () => {
    const outDir = await freshOutDir();

    const bundles = await buildBundles(functionTargets(), { outDir });

    const loaded = await Promise.all(bundles.map((bundle) => loadInFreshProcess(bundle.file)));
    expect(bundles.map((b) => b.name).sort()).toEqual([
      "api",
      "dispatch",
      "extract",
      "load",
      "notify",
      "settle",
      "verify",
    ]);
    expect(loaded.map((l) => l.exports.includes("handler"))).toEqual(bundles.map(() => true));
    // The API only checks Siesa access: the catalogue's extraction stays in the workers' bundles.
    const code = async (name: string) => readFile(bundles.find((b) => b.name === name)?.file ?? "", "utf8");
    expect(await code("extract")).toContain("siesa range split");
    expect(await code("api")).not.toContain("siesa range split");
  });
});
