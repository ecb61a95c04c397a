import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO, scriptCommand } from "../support/cli.js";

/** Runs a snippet behind the same preloads as `npm start` (everything before the entry file). */
function withPreloads(code: string): Promise<string> {
  const preloads = scriptCommand("start").slice(0, -1);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...preloads, "--input-type=module", "-e", code],
      { cwd: REPO },
      (error, _out, stderr) => (error ? reject(error) : resolve(stderr)),
    );
  });
}

describe("warnings of the entry points", () => {
  it("drop node:sqlite's ExperimentalWarning (fauxqs loads it) and keep every other warning", async () => {
    const stderr = await withPreloads(
      'await import("node:sqlite"); process.emitWarning("Frobnication is an experimental feature", "ExperimentalWarning");',
    );

    expect(stderr).not.toContain("SQLite");
    expect(stderr).toContain("ExperimentalWarning: Frobnication is an experimental feature");
  });
});
