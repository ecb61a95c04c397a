import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../support/cli.js";

const read = (file: string) => readFileSync(join(REPO, file), "utf8");

/** Every .ts file under the folders whose code runs on a developer's machine. */
function sources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith(".ts")) files.push(read(path));
    }
  };
  for (const dir of ["runtime", "sandbox", "bench", "scripts"]) walk(dir);
  return files;
}

/**
 * The variables the code reads: `process.env.X` or `env.X`, and the project's names kept in constants
 * (`"SIESA_…"`, `"PRODUCT_…"`), less what the deployed functions are given (the reviewed plan's `env`
 * lines) and the AWS SDK's own credentials and region (documented by AWS; the endpoints are ours to name).
 */
function variablesReadLocally(): Set<string> {
  const names = new Set<string>();
  for (const text of sources()) {
    for (const [, name] of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(name as string);
    for (const [, name] of text.matchAll(/["'`]((?:SIESA|PRODUCT)_[A-Z0-9_]+)["'`]/g))
      names.add(name as string);
  }
  const deployed = [...read("infra/plans/staging.txt").matchAll(/\benv ([A-Z][A-Z0-9_]*):/g)].map(
    ([, n]) => n,
  );
  for (const name of deployed) names.delete(name as string);
  for (const name of names)
    if (name.startsWith("AWS_") && !name.startsWith("AWS_ENDPOINT_URL")) names.delete(name);
  return names;
}

/** The variables .env.example sets or shows commented out (`NAME=…` or `# NAME=…`). */
const exampleVariables = () =>
  new Set([...read(".env.example").matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map(([, name]) => name as string));

describe(".env.example", () => {
  it("shows every variable the local commands read", () => {
    const missing = [...variablesReadLocally()].filter((name) => !exampleVariables().has(name));

    expect(missing).toEqual([]);
  });

  it("shows no variable the code does not read", () => {
    const read = variablesReadLocally();
    const unused = [...exampleVariables()].filter((name) => !read.has(name));

    expect(unused).toEqual([]);
  });

  it("shows only variables docs/operations.md describes, as it says", () => {
    const operations = read("docs/operations.md");
    const undocumented = [...exampleVariables()].filter(
      (name) => !new RegExp(`\\b${name}\\b`).test(operations),
    );

    expect(read(".env.example")).toContain("docs/operations.md");
    expect(undocumented).toEqual([]);
  });
});
