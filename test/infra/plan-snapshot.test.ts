import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatPlan } from "../../infra/plan/format.js";
import { STACKS, snapshotFile, UPDATE_SNAPSHOTS_ENV } from "../../infra/plan/snapshots.js";
import { FIXTURE_TENANT, fixturePlanOf, planOf, prodWithPager } from "./plans.js";

/**
 * The committed plans (infra/plans/<stack>.txt) are what a reviewer reads in a pull request. Any
 * change to the infrastructure fails here until the snapshot is rewritten on purpose:
 * `UPDATE_PLAN_SNAPSHOTS=1 npx vitest run test/infra/plan-snapshot.test.ts` (or `npm run plan -- --stack <s> --update`).
 */
describe("committed plan snapshots", () => {
  it.each(STACKS)("%s: the program's plan is the committed one", async (stack) => {
    const text = formatPlan(await planOf(stack));
    const file = snapshotFile(stack);
    if (process.env[UPDATE_SNAPSHOTS_ENV] === "1") {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, text);
    }

    const committed = await readFile(file, "utf8").catch(
      () => "(no snapshot: run with UPDATE_PLAN_SNAPSHOTS=1)",
    );

    expect(
      text,
      `the ${stack} plan changed: review the diff, then rewrite it with ${UPDATE_SNAPSHOTS_ENV}=1`,
    ).toBe(committed);
  });

  it("a plan names every resource's component and ends with a one-line total", async () => {
    const text = formatPlan(await fixturePlanOf("staging")); // one staging tenant
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Plan of stack staging \(environment staging, us-east-1\)/);
    expect(lines.at(-1)).toMatch(/^Total: \d+ AWS resources in 6 components \(storage 5, pipeline \d+, /);
    expect(text).toContain(`Tenant "tenant-${FIXTURE_TENANT.staging}" (4 resources)`);
    expect(text).toContain("expression: rate(1 hour) (UTC)");
    expect(text).toContain("redrive: after 5 receives to siesa-integration-staging-sync-requests-dlq");
    expect(text).toContain("runtime: nodejs22.x arm64, handler index.handler");
  });

  it("a secret config value is shown masked", async () => {
    const text = formatPlan(await planOf("prod", { config: await prodWithPager() }));
    expect(text).toContain("endpoint: https [secret]");
    expect(text).not.toContain("pagerduty");
  });
});
