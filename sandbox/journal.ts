import { appendFileSync, mkdirSync, readFileSync, truncateSync } from "node:fs";
import { dirname } from "node:path";

type Entry<T> = { put: T } | { del: string | number };

/** Where a journal entry can start inside a line: after a torn write an earlier version glued on. */
const ENTRY_START = /\{"(?:put|del)":/g;

/**
 * A sandbox's records kept on disk, so the demo's product behaves like a real one across runs: each
 * change is one JSON line appended synchronously (a killed process loses nothing it answered), and
 * opening the file replays them.
 *
 * A process killed mid-append leaves a torn last line. Opening the file cuts it off (that write was
 * never answered), so the next append starts a line of its own. A line that still is not a record
 * (a torn write with the next one glued to it, as earlier versions left them) keeps the record it
 * ends with; anything unreadable is skipped and named through `warn`, never a reason to lose the rest.
 */
export class RecordJournal<T extends { id: string | number }> {
  /** The records the file holds, in first-written order. */
  readonly records: T[];

  constructor(
    private readonly file: string,
    warn: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
  ) {
    mkdirSync(dirname(file), { recursive: true });
    let bytes: Buffer = Buffer.alloc(0);
    try {
      bytes = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const lines = bytes.toString("utf8").split("\n");
    const tail = lines.pop() ?? "";
    if (tail !== "" && entryOf(tail)) {
      // Whole, only its newline missing.
      appendFileSync(file, "\n");
      lines.push(tail);
    } else if (tail !== "") {
      truncateSync(file, bytes.lastIndexOf(0x0a) + 1);
      warn(`sandbox state ${file}: line ${lines.length + 1} was cut short by a crash, dropped`);
    }
    const byId = new Map<string | number, T>();
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      let entry = entryOf<T>(line);
      if (!entry) {
        entry = gluedEntryOf<T>(line);
        warn(
          entry
            ? `sandbox state ${file}: line ${i + 1} starts with a write cut short by a crash, kept the record after it`
            : `sandbox state ${file}: line ${i + 1} is not a record, skipped`,
        );
      }
      if (!entry) continue;
      if ("put" in entry) byId.set(entry.put.id, entry.put);
      else byId.delete(entry.del);
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

function entryOf<T>(text: string): Entry<T> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const entry = value as { put?: unknown; del?: unknown };
  if (typeof entry.put === "object" && entry.put !== null && "id" in entry.put) return entry as Entry<T>;
  if (typeof entry.del === "string" || typeof entry.del === "number") return entry as Entry<T>;
  return undefined;
}

/** The whole record at the end of a line that starts with torn writes, if there is one. */
function gluedEntryOf<T>(line: string): Entry<T> | undefined {
  for (const match of line.matchAll(ENTRY_START)) {
    if (match.index === 0) continue;
    const entry = entryOf<T>(line.slice(match.index));
    if (entry) return entry;
  }
  return undefined;
}
