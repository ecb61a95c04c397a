import { describe, expect, it } from "vitest";
import { freePort } from "../../sandbox/free-port.js";
import { runScript, withoutShellCredentials } from "../support/cli.js";

/** `npm run probe` with only the credentials a test passes (never the developer's shell's). */
const probe = (args: string[], env: Record<string, string> = {}) =>
  runScript("probe", args, { env: withoutShellCredentials(env) });

describe("npm run probe", () => {
  it("--json prints the report as one JSON object, exit 0 when no check fails (the demo's sandboxes)", async () => {
    const { code, stdout } = await probe(["--tenant", "demo", "--items", "20", "--json"]);

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ tenantId: "demo", ok: true });
    expect(report.checks.length).toBeGreaterThan(10);
    for (const check of report.checks) {
      expect(Object.keys(check).sort()).toEqual(["detail", "name", "status"]);
      expect(["ok", "skipped"]).toContain(check.status);
    }
  });

  it("a Siesa that does not answer: one FAILED line naming its host, the rest skipped, exit 2", async () => {
    const port = await freePort();

    const { code, stdout } = await probe(
      ["--tenant", "demo", "--items", "20", "--siesa-url", `http://127.0.0.1:${port}/api/siesa/v3/`],
      { SIESA_CONNI_KEY: "key-of-test", SIESA_CONNI_TOKEN: "token-of-test" },
    );

    expect(code).toBe(2);
    expect(stdout).toMatch(
      new RegExp(`\\nFAILED +siesa credentials +127\\.0\\.0\\.1:${port} did not answer`),
    );
    expect(stdout).toMatch(/\nskipped +siesa item columns /);
    expect(stdout).toMatch(/\nok +product login /);
    expect(stdout.trim().split("\n").at(-1)).toBe("failed: siesa credentials");
    expect(stdout).not.toContain("token-of-test");
  });

  it("an unknown tenant: one line naming it and the known ones, exit 1 (as sync)", async () => {
    const { code, stdout, stderr } = await probe(["--tenant", "nobody"]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain('unknown tenant "nobody" (known tenants: ');
  });
});
