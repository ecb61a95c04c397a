import { describe, expect, it } from "vitest";
import { FUNCTION_ACCESS } from "../../infra/access.js";
import { QUEUES } from "../../runtime/core/domain/pipeline-config.js";
import { SECRETS_READ } from "../../runtime/core/domain/secret-access.js";
import { TABLE_DEFINITIONS, tableNames } from "../../runtime/edges/store/tables.js";
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

/** docs/architecture.md's "## Who may do what": one row per function, as infra/access.ts grants it. */
describe("docs/architecture.md's permissions table", () => {
  const rows = firstTable(
    section(readDoc("docs/architecture.md"), "Who may do what", "docs/architecture.md"),
  );
  const tableName = (kind: string) => kind.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  const word = (phrase: string) => new RegExp(`(?<![\\w-])${phrase}(?![\\w-])`);

  it("has a row for each function and none for another", () => {
    expect(rows.map(([fn]) => fn).sort()).toEqual(Object.keys(FUNCTION_ACCESS).sort());
  });

  it.each(rows.map((row) => [row[0] ?? "", row] as const))(
    "%s: the tables, leases, queues and secrets its role has",
    (fn, [, tables = "", sendsTo = "", secrets = ""]) => {
      const access = FUNCTION_ACCESS[fn as keyof typeof FUNCTION_ACCESS];
      const granted = Object.entries(access.tables);
      const queues = access.sendsTo.map((queue) => QUEUES[queue].suffix.replace(/\.fifo$/, ""));
      const read = SECRETS_READ[fn as keyof typeof SECRETS_READ];

      for (const [kind, level] of granted)
        expect(tables).toMatch(word(`${tableName(kind)} ${level === "mark" ? "get and put" : level}`));
      for (const kind of Object.keys(TABLE_DEFINITIONS).filter((k) => !granted.some(([g]) => g === k)))
        expect(tables).not.toMatch(word(`${tableName(kind)} (read|write|append)`));
      expect(word("leases").test(tables)).toBe(access.leases);
      expect(sendsTo === "none" ? [] : sendsTo.split(", ")).toEqual(queues);
      if (read.length === 0) expect(secrets).toBe("none");
      for (const kind of read) expect(secrets.toLowerCase()).toContain(kind);
    },
  );
});
