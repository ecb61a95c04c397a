import { describe, expect, it } from "vitest";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { runScript } from "../support/cli.js";

// Apart from help.test.ts because it reads the tenant set: a tenant pull request runs it again
// (test/pull-request/tenant-pull-request.test.ts), and not the rest of the commands' usage.
describe("npm run sync without --tenant", () => {
  it("npm run sync without --tenant lists the known tenants with the usage", async () => {
    const known = (await loadTenants()).all().map((t) => t.id);

    const { code, stderr } = await runScript("sync");

    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe(`sync: missing --tenant <id> (known tenants: ${known.join(", ")})`);
    expect(stderr).toContain("usage: npm run sync -- --tenant <id> [options]");
  });
});
