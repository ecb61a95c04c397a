import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ACCESS_LIST_FILE, formatAccessList } from "../../infra/plan/access-list.js";
import { STACKS, UPDATE_SNAPSHOTS_ENV } from "../../infra/plan/snapshots.js";
import { planOf } from "./plans.js";

/**
 * What each function may do, action by action and resource by resource, is the reviewed list in
 * infra/access.reviewed.txt: a function that gains (or loses) an action or a resource fails here until
 * the list is rewritten on purpose, so the change shows in review.
 */
describe("the reviewed access list", () => {
  it.each(STACKS)(
    "%s: every role gets exactly the reviewed actions on the reviewed resources",
    async (stack) => {
      const listed = formatAccessList(await planOf(stack));
      if (process.env[UPDATE_SNAPSHOTS_ENV] === "1" && stack === STACKS[0])
        await writeFile(ACCESS_LIST_FILE, listed);

      const reviewed = await readFile(ACCESS_LIST_FILE, "utf8").catch(
        () => "(no list: run with UPDATE_PLAN_SNAPSHOTS=1)",
      );

      expect(
        listed,
        `the ${stack} stack's permissions changed: review them, then rewrite the list with ${UPDATE_SNAPSHOTS_ENV}=1`,
      ).toBe(reviewed);
    },
  );

  it("names each function's role, and the scheduler's", async () => {
    const roles = new Set(
      formatAccessList(await planOf("staging"))
        .split("\n")
        .filter((line) => line && !line.startsWith("#"))
        .map((line) => line.split("  ")[0]),
    );

    expect([...roles].sort()).toEqual([
      "api",
      "dispatch",
      "extract",
      "load",
      "notify",
      "scheduler",
      "settle",
      "verify",
    ]);
  });
});
