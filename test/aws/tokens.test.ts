import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import {
  createTokenVerifier,
  hashToken,
  loadTokensFromEnv,
  newToken,
  parseTokenEntries,
  secretsManagerTokenVerifier,
  type TokenEntry,
  tokenEntry,
} from "../../runtime/aws/tokens.js";

const operator = tokenEntry("op-token", { kind: "operator" }, "on-call");
const acme = tokenEntry("acme-token", { kind: "tenant", tenantId: "acme-staging" }, "acme monitor");

describe("token verification", () => {
  it("stores only the sha256 of a token", () => {
    expect(operator.sha256).toBe(hashToken("op-token"));
    expect(operator.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(operator)).not.toContain("op-token");
  });

  it("knows each token's principal and nothing else", async () => {
    const verifier = createTokenVerifier([operator, acme]);

    expect(await verifier.verify("op-token")).toEqual({ kind: "operator" });
    expect(await verifier.verify("acme-token")).toEqual({ kind: "tenant", tenantId: "acme-staging" });
    expect(await verifier.verify("acme-token ")).toBeUndefined();
    expect(await verifier.verify(operator.sha256)).toBeUndefined();
  });

  it("makes new tokens that are long, random and recognisable", () => {
    const [a, b] = [newToken(), newToken()];

    expect(a).toMatch(/^sit_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });
});

function messageOf(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("token lists", () => {
  it("parses the JSON a secret, file or variable holds", () => {
    expect(parseTokenEntries(JSON.stringify([operator, acme]), "test")).toEqual([operator, acme]);
  });

  it("names the source and the field of a bad entry", () => {
    const bad = [operator, { ...acme, sha256: "not-a-hash" }];

    expect(() => parseTokenEntries(JSON.stringify(bad), "file tokens.json")).toThrow(
      "file tokens.json: 1.sha256 must be 64 lowercase hex characters",
    );
  });

  it("refuses a plain token pasted where a hash belongs, without repeating it", () => {
    const pasted = `[{"token":"sit_supersecret","principal":{"kind":"operator"},"name":"x"}]`;

    const message = messageOf(() => parseTokenEntries(pasted, "variable"));

    expect(message).toBe(
      "variable: 0.sha256 is missing; 0.token is not a known field (an entry has sha256, principal, name)",
    );
    expect(message).not.toContain("supersecret");
  });

  it("says when the text is not JSON", () => {
    expect(() => parseTokenEntries("[{sha256: ", "secret x")).toThrow("secret x is not valid JSON");
  });
});

describe("loadTokensFromEnv", () => {
  it("reads SIESA_INTEGRATION_TOKENS", async () => {
    const env = { SIESA_INTEGRATION_TOKENS: JSON.stringify([acme]) };

    expect(await loadTokensFromEnv(env)).toEqual([acme]);
  });

  it("reads the file SIESA_INTEGRATION_TOKENS_FILE points to", async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), "tokens-")), "tokens.json");
    await writeFile(file, JSON.stringify([operator]));

    expect(await loadTokensFromEnv({ SIESA_INTEGRATION_TOKENS_FILE: file })).toEqual([operator]);
  });

  it("names a file it cannot read", async () => {
    await expect(
      loadTokensFromEnv({ SIESA_INTEGRATION_TOKENS_FILE: "/no/such/tokens.json" }),
    ).rejects.toThrow("SIESA_INTEGRATION_TOKENS_FILE: cannot read /no/such/tokens.json (ENOENT)");
  });

  it("is an empty list when neither is set, and an error when both are", async () => {
    expect(await loadTokensFromEnv({})).toEqual([]);
    await expect(
      loadTokensFromEnv({ SIESA_INTEGRATION_TOKENS: "[]", SIESA_INTEGRATION_TOKENS_FILE: "x" }),
    ).rejects.toThrow(/only one of/);
  });
});

describe("secretsManagerTokenVerifier", () => {
  function secretHolding(lists: (TokenEntry[] | Error)[]) {
    const client = new SecretsManagerClient({ region: "us-east-1" });
    const mock = mockClient(client);
    let call = 0;
    mock
      .on(GetSecretValueCommand, { SecretId: "siesa-integration/staging/api-tokens" })
      .callsFake(async () => {
        const next = lists[Math.min(call++, lists.length - 1)];
        if (next instanceof Error) throw next;
        return { SecretString: JSON.stringify(next) };
      });
    const clock = { now: 0 };
    const verifier = secretsManagerTokenVerifier(client, "siesa-integration/staging/api-tokens", {
      ttlMs: 60_000,
      now: () => clock.now,
    });
    return { mock, verifier, clock };
  }

  it("reloads the list after a minute, so a revoked token stops working without a redeploy", async () => {
    const { verifier, clock, mock } = secretHolding([[operator, acme], [operator]]);
    expect(await verifier.verify("acme-token")).toBeDefined();

    clock.now = 59_000;
    const cached = await verifier.verify("acme-token");
    clock.now = 61_000;
    const reloaded = await verifier.verify("acme-token");

    expect(cached).toBeDefined();
    expect(reloaded).toBeUndefined();
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("keeps the last good list when a reload fails", async () => {
    const { verifier, clock } = secretHolding([[operator], new Error("throttled")]);
    await verifier.verify("op-token");

    clock.now = 61_000;

    expect(await verifier.verify("op-token")).toEqual({ kind: "operator" });
  });

  it("fails when the first load fails: there is no list to fall back on", async () => {
    const { verifier } = secretHolding([new Error("AccessDenied")]);

    await expect(verifier.verify("op-token")).rejects.toThrow("AccessDenied");
  });
});
