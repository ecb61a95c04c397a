import { describe, expect, it } from "vitest";
import { createTokenVerifier, parseTokenEntries } from "../../runtime/edges/aws/tokens.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { runScript } from "../support/cli.js";

/** `npm run token -- <args>`, as package.json runs it. */
const tokenCli = (...args: string[]) => runScript("token", args);

describe("npm run token", () => {
  it("makes a tenant token whose printed entry verifies it, read-only for that tenant", async () => {
    const [tenant] = (await loadTenants()).all();
    if (!tenant) throw new Error("no tenant under tenants/ to make a token for");

    const { code, stdout } = await tokenCli("--tenant", tenant.id, "--name", "a monitor", "--json");

    const { token, entry } = JSON.parse(stdout);
    const verifier = createTokenVerifier(parseTokenEntries(JSON.stringify([entry]), "printed entry"));
    expect(code).toBe(0);
    expect(entry.name).toBe("a monitor");
    expect(await verifier.verify(token)).toEqual({ kind: "tenant", tenantId: tenant.id });
    expect(JSON.stringify(entry)).not.toContain(token);
  });

  it("prints the token and where to store the entry for people", async () => {
    const { code, stdout } = await tokenCli("--operator");

    expect(code).toBe(0);
    expect(stdout).toMatch(/^New operator token/);
    expect(stdout).toMatch(/^ {2}sit_/m);
    expect(stdout).toContain("siesa-integration/<stack>/api-tokens");
    expect(stdout).toContain('"principal":{"kind":"operator"}');
  });

  it("refuses an unknown tenant, naming the known ones, with the usage", async () => {
    const known = (await loadTenants()).all().map((t) => t.id);

    const { code, stderr } = await tokenCli("--tenant", "no-such-tenant");

    expect(code).toBe(1);
    expect(stderr).toContain(`token: unknown tenant "no-such-tenant" (known tenants: ${known.join(", ")})`);
    expect(stderr).toContain("usage: npm run token -- (--operator | --tenant <id>)");
  });

  it("refuses to guess whose token it is", async () => {
    const { code, stderr } = await tokenCli();

    expect(code).toBe(1);
    expect(stderr).toContain("exactly one of --operator and --tenant <id>");
    expect(stderr).toContain("usage: npm run token --");
  });
});
