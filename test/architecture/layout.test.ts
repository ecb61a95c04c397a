import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The layout is the architecture (docs/architecture.md#the-layout): these tests read runtime/'s
 * imports and hold them to it, so a shortcut across layers fails here rather than in a review.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const runtime = join(root, "runtime");

/** What each part of runtime/ may import, besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: ["mappings"],
  edges: ["core"],
  wiring: ["core", "edges", "mappings", "infra", "sandbox"],
  workers: ["core"],
  api: ["core"],
  lambda: ["core", "wiring", "workers", "api"],
  cli: ["core", "edges", "wiring", "workers", "api", "mappings", "sandbox", "infra"],
};

interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Relative imports (static, dynamic and re-exports) of every file under runtime/, as repository paths. */
function imports(): Import[] {
  return sourceFiles(runtime).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((match) => ({
      from: relative(root, file),
      to: relative(root, resolve(dirname(file), match[1] as string)),
    })),
  );
}

/** `runtime/edges/http/siesa/client.ts` → `edges/http`; `runtime/core/steps/settle.ts` → `core`; `mappings/index.js` → `mappings`. */
const partOf = (path: string) => {
  const [top, part, edge] = path.split("/");
  if (top !== "runtime") return top as string;
  return part === "edges" ? `edges/${edge}` : (part as string);
};
/** Each edge (`edges/store`, `edges/http`, …) is a part of its own under the rules of `edges`. */
const kindOf = (part: string) => (part.startsWith("edges/") ? "edges" : part);
const rulesOf = (part: string) => MAY_IMPORT[kindOf(part)];
const folderOf = (path: string) => dirname(path);

describe("runtime's layout", () => {
  const all = imports();

  it("has every file in one of the parts the architecture names", () => {
    const unplaced = sourceFiles(runtime)
      .map((file) => relative(root, file))
      .filter((path) => !rulesOf(partOf(path)));
    expect(unplaced).toEqual([]);
  });

  it("imports only downwards: the core nothing outside it, each edge only the core", () => {
    const crossings = all.filter(({ from, to }) => {
      const [a, b] = [partOf(from), partOf(to)];
      return a !== b && !(rulesOf(a) ?? []).includes(kindOf(b));
    });
    expect(crossings.map(({ from, to }) => `${from} → ${to}`)).toEqual([]);
  });

  it("has no import cycle between folders", () => {
    const next = new Map<string, Set<string>>();
    for (const { from, to } of all) {
      const [a, b] = [folderOf(from), folderOf(to)];
      if (a !== b) next.set(a, (next.get(a) ?? new Set()).add(b));
    }
    /** Whether `goal` can be reached from `start` by following imports (depth first, each folder once). */
    const reaches = (start: string, goal: string, seen = new Set<string>()): boolean => {
      for (const folder of next.get(start) ?? []) {
        if (folder === goal) return true;
        if (seen.has(folder)) continue;
        seen.add(folder);
        if (reaches(folder, goal, seen)) return true;
      }
      return false;
    };
    const circular = [...next.keys()].filter((folder) => reaches(folder, folder));
    expect(circular).toEqual([]);
  });
});
