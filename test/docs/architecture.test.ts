import { describe, expect, it } from "vitest";
import { tableNames } from "../../runtime/edges/store/tables.js";
import { firstTable, readDoc, section } from "./markdown.js";

/** docs/architecture.md's "## State" is where a newcomer learns what is stored where. */
describe("docs/architecture.md's State section", () => {
  const state = section(readDoc("docs/architecture.md"), "State", "docs/architecture.md");

  it("has a row for each DynamoDB table of a stack, and none for another", () => {
    const prefix = "siesa-integration-staging";
    const tables = Object.values(tableNames(prefix)).map((name) => name.slice(prefix.length + 1));

    const rows = firstTable(state).map(([table = ""]) => table.replaceAll("`", ""));

    expect(rows.sort()).toEqual(tables.sort());
  });

  it("says how many tables there are", () => {
    const count = Object.keys(tableNames("p")).length;
    const words = ["", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight"];

    expect(state).toContain(`${words[count]} DynamoDB tables per stack`);
  });
});
