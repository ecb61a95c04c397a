import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RecordJournal } from "../../sandbox/journal.js";

// The sandboxes' records on disk: every write the product answered is one line appended before the
// answer goes out. A process killed mid-append leaves a torn line (no newline, cut JSON); whatever
// came before or is appended after it must load again.

interface Item {
  id: number;
  name: string;
}

const fileIn = () => join(mkdtempSync(join(tmpdir(), "journal-")), "records.jsonl");
const item = (id: number, name = `Item ${id}`): Item => ({ id, name });
/** What a crash in the middle of appending `record` leaves: the start of its line, no newline. */
const tear = (file: string, record: Item) => {
  const line = JSON.stringify({ put: record });
  appendFileSync(file, line.slice(0, Math.ceil(line.length / 2)));
};
const namesIn = (file: string, warnings: string[] = []) =>
  new RecordJournal<Item>(file, (w) => warnings.push(w)).records.map((r) => r.name);

describe("a sandbox's record journal after crashes mid-append", () => {
  it("keeps every answered write when more are appended after a torn line", () => {
    const file = fileIn();
    const before = new RecordJournal<Item>(file);
    before.put(item(1));
    tear(file, item(2));

    const after = new RecordJournal<Item>(file, () => {});
    after.put(item(3));

    expect(namesIn(file)).toEqual(["Item 1", "Item 3"]);
  });

  it("keeps every answered write across several crashes, each followed by more writes", () => {
    const file = fileIn();
    let journal = new RecordJournal<Item>(file);
    const answered: string[] = [];
    for (let crash = 0; crash < 4; crash++) {
      journal.put(item(10 * crash + 1));
      journal.put(item(10 * crash + 2));
      answered.push(`Item ${10 * crash + 1}`, `Item ${10 * crash + 2}`);
      tear(file, item(10 * crash + 3));
      journal = new RecordJournal<Item>(file, () => {});
    }
    journal.put(item(99, "last"));

    const warnings: string[] = [];
    expect(namesIn(file, warnings)).toEqual([...answered, "last"]);
    expect(warnings).toEqual([]);
  });

  it("recovers writes glued onto a torn line by an earlier version, and names the lines it skipped", () => {
    // Prepare: what the journal used to leave: a torn line with the next write appended to it.
    const file = fileIn();
    const line = (entry: unknown) => `${JSON.stringify(entry)}\n`;
    const torn = JSON.stringify({ put: item(2) }).slice(0, 9);
    writeFileSync(
      file,
      [
        line({ put: item(1) }),
        torn + line({ put: item(3) }),
        torn + torn + line({ del: 1 }),
        "not json at all\n",
        line({ put: item(4) }),
      ].join(""),
    );

    // Act
    const warnings: string[] = [];
    const names = namesIn(file, warnings);

    // Assess
    expect(names).toEqual(["Item 3", "Item 4"]);
    expect(warnings).toEqual([
      `sandbox state ${file}: line 2 starts with a write cut short by a crash, kept the record after it`,
      `sandbox state ${file}: line 3 starts with a write cut short by a crash, kept the record after it`,
      `sandbox state ${file}: line 4 is not a record, skipped`,
    ]);
  });

  it("drops a torn last line when it opens, naming it once, so the file stays one record a line", () => {
    const file = fileIn();
    new RecordJournal<Item>(file).put(item(1));
    tear(file, item(2));

    const warnings: string[] = [];
    new RecordJournal<Item>(file, (w) => warnings.push(w)).remove(1);

    expect(readFileSync(file, "utf8")).toBe(
      `${JSON.stringify({ put: item(1) })}\n${JSON.stringify({ del: 1 })}\n`,
    );
    expect(warnings).toEqual([`sandbox state ${file}: line 2 was cut short by a crash, dropped`]);
  });

  it("keeps a whole last record whose newline is missing", () => {
    const file = fileIn();
    writeFileSync(file, JSON.stringify({ put: item(1) }));

    new RecordJournal<Item>(file).put(item(2));

    expect(namesIn(file)).toEqual(["Item 1", "Item 2"]);
  });
});
