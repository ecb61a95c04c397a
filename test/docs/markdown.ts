import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPOSITORY_ROOT } from "../../infra/repository.js";

/** The text of a file of the repository, by its path from the root. */
export const readDoc = (file: string): string => readFileSync(path.join(REPOSITORY_ROOT, file), "utf8");

/** README.md and every Markdown file under docs/ that git knows, by path from the root. */
export function documents(): string[] {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.md"], {
    cwd: REPOSITORY_ROOT,
    encoding: "utf8",
  });
  return files
    .split("\n")
    .filter((file) => file === "README.md" || file.startsWith("docs/"))
    .sort();
}

/** The text with its fenced code blocks blanked (their lines kept, so line numbers still hold). */
export const withoutFences = (text: string): string =>
  text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ""));

/** The text under a `## ` heading, up to the next `## ` heading; throws naming the file when it is missing. */
export function section(text: string, heading: string, file: string): string {
  const part = text.split(/^## /m).find((candidate) => candidate.startsWith(`${heading}\n`));
  if (part === undefined) throw new Error(`${file} has no "## ${heading}" section`);
  return part;
}

/** The rows of the first Markdown table in `text`, each as its cells (`\|` inside a cell is kept as `|`). */
export function firstTable(text: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, line.lastIndexOf("|"))
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replaceAll("\\|", "|")),
    );
  }
  return rows;
}

/** The anchors GitHub gives a document's headings (lower case, punctuation dropped, spaces as `-`). */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading = ""] of withoutFences(text).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
