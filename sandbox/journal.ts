import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * A sandbox's records kept on disk, so the demo's product behaves like a real one across runs: each
 * change is one JSON line appended synchronously (a killed process loses nothing it answered), and
 * opening the file replays them.
 */
export class RecordJournal<T extends { id: string | number }> {
  /** The records the file holds, in first-written order. */
  readonly records: T[];

  constructor(private readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    const byId = new Map<string | number, T>();
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const [i, line] of text.split("\n").entries()) {
      if (line.trim() === "") continue;
      let entry: { put?: T; del?: string | number };
      try {
        entry = JSON.parse(line);
      } catch {
        // A line cut short by a crash mid-append is the last one; anything else is a broken file.
        if (i === text.split("\n").length - 1 || text.split("\n")[i + 1] === "") continue;
        throw new Error(`sandbox state ${file}: line ${i + 1} is not JSON`);
      }
      if (entry.put) byId.set(entry.put.id, entry.put);
      else if (entry.del !== undefined) byId.delete(entry.del);
    }
    this.records = [...byId.values()];
  }

  put(record: T): void {
    appendFileSync(this.file, `${JSON.stringify({ put: record })}\n`);
  }

  remove(id: string | number): void {
    appendFileSync(this.file, `${JSON.stringify({ del: id })}\n`);
  }
}
