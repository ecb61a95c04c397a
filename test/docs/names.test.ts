import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPOSITORY_ROOT } from "../../infra/repository.js";
import { documents, readDoc, withoutFences } from "./markdown.js";

/**
 * The code's names in the documents: a newcomer searches the code for a name a document gives
 * (`getById`, `ApiErrors`, `LOAD_CHUNK_RECORDS`), so one the code no longer uses sends them nowhere.
 */

/** Every word of the code, its configuration and its tests (not of the documents themselves). */
function wordsOfTheCode(): Set<string> {
  const files = execFileSync(
    "git",
    ["ls-files", "--cached", "--others", "--exclude-standard", "--", ".", ":!*.md", ":!package-lock.json"],
    { cwd: REPOSITORY_ROOT, encoding: "utf8" },
  )
    .split("\n")
    .filter((file) => /\.(ts|tsx|js|mjs|json|yaml|yml|sh|txt)$|^\.env\.example$/.test(file));
  const words = new Set<string>();
  for (const file of files)
    for (const [word] of readFileSync(path.join(REPOSITORY_ROOT, file), "utf8").matchAll(/[A-Za-z_][\w]*/g))
      words.add(word);
  return words;
}

/** A name only code would have: camelCase, PascalCase of two words or more, UPPER_SNAKE. */
const isCodeName = (word: string) =>
  /^[a-z][a-z0-9]*[A-Z]\w*$/.test(word) ||
  /^[A-Z][a-z0-9]+[A-Z]\w*$/.test(word) ||
  /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(word);

/**
 * Names of other systems the documents quote: AWS's API actions (the deployer's permissions in
 * docs/deploy.md) and an SNS subscription's state.
 */
const isOutsideName = (word: string) =>
  /^(Add|Create|Delete|Describe|Enable|Get|List|Put|Remove|Restore|Schedule|Set|Tag|Untag|Update)[A-Z]/.test(
    word,
  ) || word === "PendingConfirmation";

// docs/benchmarks.md is left out: its entries are dated records of what the code was then.
const checked = documents().filter((file) => file !== "docs/benchmarks.md");

describe("the code's names in the documents", () => {
  const words = wordsOfTheCode();

  it.each(checked)("%s names only what the code still calls so", (file) => {
    const named = [...withoutFences(readDoc(file)).matchAll(/`([A-Za-z_][\w.]*)(?:\(\))?`/g)].flatMap(
      ([, span = ""]) => span.split("."),
    );
    const gone = named.filter((word) => isCodeName(word) && !isOutsideName(word) && !words.has(word));

    expect([...new Set(gone)]).toEqual([]);
  });
});
