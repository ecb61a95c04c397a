import { describe, expect, it } from "vitest";
import { firstTable, readDoc, section } from "./markdown.js";

/**
 * docs/operations.md's "## Commands" table is where a newcomer looks up what an npm script does:
 * each script of package.json has its row there.
 */

const { scripts } = JSON.parse(readDoc("package.json")) as { scripts: Record<string, string> };

/** The scripts the table's first column names: `npm run sync -- …`, `npm start`, or a bare `bench:stack`. */
function scriptsInTheTable(): Set<string> {
  const rows = firstTable(section(readDoc("docs/operations.md"), "Commands", "docs/operations.md"));
  return new Set(
    rows.flatMap(([command = ""]) =>
      [...command.matchAll(/`([^`]+)`/g)].map(([, span = ""]) => {
        const [, script] = /^npm (?:run )?([\w:-]+)/.exec(span) ?? [undefined, span];
        return script ?? span;
      }),
    ),
  );
}

describe("docs/operations.md's Commands table", () => {
  it("has a row for every npm script", () => {
    const listed = scriptsInTheTable();

    expect(Object.keys(scripts).filter((script) => !listed.has(script))).toEqual([]);
  });
});
