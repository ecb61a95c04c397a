import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createTokenVerifier, parseTokenEntries } from "../../runtime/aws/tokens.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `npm run token -- <args>` (tsx on the CLI file, as the script does); resolves with exit code and output. */
async function tokenCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "runtime/cli/token.ts", ...args],
      {
        cwd: repo,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("npm run token", () => {
  it("makes a tenant token whose printed entry verifies it, read-only for that tenant", async () => {
    const { code, stdout } = await tokenCli("--tenant", "demo", "--name", "demo monitor", "--json");

    const { token, entry } = JSON.parse(stdout);
    const verifier = createTokenVerifier(parseTokenEntries(JSON.stringify([entry]), "printed entry"));
    expect(code).toBe(0);
    expect(entry.name).toBe("demo monitor");
    expect(await verifier.verify(token)).toEqual({ kind: "tenant", tenantId: "demo" });
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

  it("refuses an unknown tenant, naming the known ones", async () => {
    const { code, stderr } = await tokenCli("--tenant", "no-such-tenant");

    expect(code).toBe(1);
    expect(stderr).toMatch(/unknown tenant "no-such-tenant" \(known: .*demo/);
  });

  it("refuses to guess whose token it is", async () => {
    const { code, stderr } = await tokenCli();

    expect(code).toBe(1);
    expect(stderr).toContain("exactly one of --operator and --tenant <id>");
  });
});
