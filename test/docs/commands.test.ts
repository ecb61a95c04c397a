import { describe, expect, it } from "vitest";
import { KONG_STREAM_CHECKS, WMS_CHECKS } from "../probe/probe-world.js";
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

/**
 * The probe's lines as test/probe holds the real probe to them (probe-world.ts): docs/operations.md's
 * "Probe a tenant" explains each line a report can show, in its tables, and no other.
 */
describe("docs/operations.md's probe checks", () => {
  const doc = readDoc("docs/operations.md");
  const probeSection = doc.slice(
    doc.indexOf("### Probe a tenant"),
    doc.indexOf("\n### ", doc.indexOf("### Probe a tenant") + 1),
  );
  const tabled = probeSection
    .split("\n")
    .map((line) => /^\| `([^`]+)` \|/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  const reported = new Set([...KONG_STREAM_CHECKS, ...WMS_CHECKS]);

  it("has a table row for every line a probe reports", () => {
    expect([...reported].filter((name) => !tabled.includes(name))).toEqual([]);
  });

  it("has a table row for no line a probe does not report", () => {
    expect(tabled.filter((name) => !reported.has(name))).toEqual([]);
  });
});
