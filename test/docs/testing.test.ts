import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPOSITORY_ROOT } from "../../infra/repository.js";
import config from "../../vitest.config.js";
import { readDoc } from "./markdown.js";

/** docs/testing.md names the folders whose files each start in a fresh worker: they must be those. */
describe("docs/testing.md's two kinds of suites", () => {
  it("names as isolated exactly the test folders the shared project leaves out", () => {
    const shared = config.test?.projects?.find(
      (project) => typeof project === "object" && "test" in project && project.test?.name === "shared",
    );
    const include = (shared as { test: { include: string[] } }).test.include;
    const sharedFolders = include.map((glob) => glob.split("/")[1]);
    const testRoot = path.join(REPOSITORY_ROOT, "test");
    const folders = readdirSync(testRoot, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .filter((folder) =>
        readdirSync(path.join(testRoot, folder), { recursive: true }).some((file) =>
          String(file).endsWith(".test.ts"),
        ),
      );

    const isolated = folders.filter((folder) => !sharedFolders.includes(folder)).sort();

    const line = /\*\*isolated\*\* \(([^)]*)\)/.exec(readDoc("docs/testing.md").replace(/\s+/g, " "))?.[1];
    const named = [...(line ?? "").matchAll(/`test\/([\w-]+)`/g)].map(([, folder]) => folder).sort();
    expect(named).toEqual(isolated);
  });
});
