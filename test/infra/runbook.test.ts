import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { STACKS } from "../../infra/plan/snapshots.js";
import { REPOSITORY_ROOT } from "../../infra/repository.js";
import { fixturePlanOf, ofType, T } from "./plans.js";

/** The entries of docs/operations.md's "## Runbook": each `### ` heading (alarm names, commas between) and its text. */
async function runbookEntries(): Promise<{ names: string[]; text: string }[]> {
  const doc = await readFile(path.join(REPOSITORY_ROOT, "docs", "operations.md"), "utf8");
  const section = doc.split(/^## /m).find((part) => part.startsWith("Runbook\n"));
  if (!section) throw new Error('docs/operations.md has no "## Runbook" section');
  return section
    .split(/^### /m)
    .slice(1)
    .map((entry) => {
      const [heading = "", ...text] = entry.split("\n");
      return { names: heading.split(/,\s*/), text: text.join("\n") };
    });
}

describe("the alarm runbook (docs/operations.md)", () => {
  it.each(STACKS)(
    "%s: has one entry for each alarm the stack deploys, and none for another",
    async (stack) => {
      const plan = await fixturePlanOf(stack);
      const prefix = `siesa-integration-${stack}-`;
      const shortName = (name: unknown) => String(name).slice(prefix.length);
      const functions = ofType(plan, T.function).map((fn) => shortName(fn.inputs.name));
      const alarms = ofType(plan, T.alarm).map((alarm) => shortName(alarm.inputs.name));

      // One entry speaks for every function's alarm of its kind (`lambda-<function>-errors`), and says which they are.
      const entries = await runbookEntries();
      const documented = entries.flatMap(({ names }) =>
        names.flatMap((name) =>
          name.includes("<function>") ? functions.map((fn) => name.replace("<function>", fn)) : [name],
        ),
      );

      expect(alarms.length).toBeGreaterThan(10);
      expect([...new Set(documented)].sort()).toEqual([...new Set(alarms)].sort());
      for (const { names, text } of entries.filter((e) => e.names.some((n) => n.includes("<function>"))))
        for (const fn of functions)
          expect(text, `${names.join(", ")} names \`${fn}\``).toContain(`\`${fn}\``);
    },
  );
});
