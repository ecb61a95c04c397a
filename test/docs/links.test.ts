import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPOSITORY_ROOT } from "../../infra/repository.js";
import { anchorsOf, documents, readDoc, withoutFences } from "./markdown.js";

/**
 * What the documents point at: a newcomer follows README.md's and docs/'s links, runs the npm
 * scripts they name and opens the files they name, so each must be there, in this repository.
 */

const trackedFiles = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: REPOSITORY_ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => file !== "");

/** `[text](target)` links outside code blocks and code spans, with the line they are on. */
function linksOf(text: string): { target: string; line: number }[] {
  return withoutFences(text)
    .split("\n")
    .flatMap((line, i) =>
      [...line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)].map(([, target = ""]) => ({
        target,
        line: i + 1,
      })),
    );
}

const inRepository = (resolved: string) => !path.relative(REPOSITORY_ROOT, resolved).startsWith("..");

describe.each(documents())("%s", (file) => {
  const text = readDoc(file);

  it("links only to files of this repository that exist, and to headings they have", () => {
    const broken = linksOf(text).flatMap(({ target, line }) => {
      if (/^https?:\/\//.test(target)) return [];
      const at = `${file}:${line} (${target})`;
      const [linked = "", anchor] = target.split("#");
      if (/^[a-z]+:/i.test(linked) || linked.startsWith("/")) return [`${at}: not a relative link`];
      const resolved =
        linked === ""
          ? path.join(REPOSITORY_ROOT, file)
          : path.resolve(REPOSITORY_ROOT, path.dirname(file), linked);
      if (!inRepository(resolved)) return [`${at}: outside the repository`];
      if (!existsSync(resolved)) return [`${at}: no such file`];
      if (anchor !== undefined && !anchorsOf(readFileSync(resolved, "utf8")).has(anchor))
        return [`${at}: no heading #${anchor} there`];
      return [];
    });

    expect(broken).toEqual([]);
  });

  it("names only npm scripts package.json has", () => {
    const { scripts } = JSON.parse(readDoc("package.json")) as { scripts: Record<string, string> };
    const named = [...text.matchAll(/\bnpm (?:run (?!-)([a-z][\w:-]*…?)|(start|test)\b)/g)]
      .map(([, script, builtIn]) => script ?? builtIn ?? "")
      // `npm run bench:… -- <options>` stands for each of them.
      .filter((script) => !script.endsWith("…"));
    const missing = named.filter((script) => !(script in scripts));

    expect([...new Set(missing)]).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const topLevel = new Set(trackedFiles.map((tracked) => tracked.split("/")[0]));
    const paths = [...withoutFences(text).matchAll(/`([^`\s]+)`/g)]
      .map(([, span = ""]) => span.replace(/[:#].*$/, ""))
      // A path with a placeholder (`infra/plans/<stack>.txt`, `test/**/*.test.ts`) names a kind of file.
      .filter((span) => topLevel.has(span.split("/")[0] ?? "") && !/[<*…$]/.test(span));
    const missing = paths.filter((named) => !existsSync(path.join(REPOSITORY_ROOT, named)));

    expect([...new Set(missing)]).toEqual([]);
  });
});

describe("the repository", () => {
  it("points at nothing outside it: no folder beside it, no absolute path of one machine", () => {
    // git grep exits 1 when nothing matches; this file's own patterns are left out of the search.
    const search = spawnSync(
      "git",
      [
        "grep",
        "-nI",
        "--untracked",
        ...["\\.\\./shared", "/work/", "shared/spec"].flatMap((pattern) => ["-e", pattern]),
        "--",
        ".",
        ":!test/docs/links.test.ts",
      ],
      { cwd: REPOSITORY_ROOT, encoding: "utf8" },
    );

    expect(search.status, search.stderr).toBe(1);
    expect(search.stdout).toBe("");
  });
});
