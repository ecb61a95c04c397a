import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import type { MetricsSink } from "../../runtime/core/ports/dependencies.js";
import {
  createTokenVerifier,
  hashToken,
  loadTokensFromEnv,
  newToken,
  parseTokenEntries,
  secretsManagerTokenVerifier,
  type TokenEntry,
  tokenEntry,
} from "../../runtime/edges/aws/tokens.js";
import { recordingLog } from "../support/log.js";

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
  function secretHolding(lists: (TokenEntry[] | Error | string)[]) {
    const client = new SecretsManagerClient({ region: "us-east-1" });
    const mock = mockClient(client);
    let call = 0;
    mock
      .on(GetSecretValueCommand, { SecretId: "siesa-integration/staging/api-tokens" })
      .callsFake(async () => {
        const next = lists[Math.min(call++, lists.length - 1)];
        if (next instanceof Error) throw next;
        return { SecretString: typeof next === "string" ? next : JSON.stringify(next) };
      });
    const clock = { now: 0 };
    const log = recordingLog();
    const counted: { name: string; value: number }[] = [];
    const metrics: MetricsSink = {
      count: (name, value) => void counted.push({ name, value }),
      seconds: () => {},
      flush: () => {},
    };
    const verifier = secretsManagerTokenVerifier(client, "siesa-integration/staging/api-tokens", {
      now: () => clock.now,
      log,
      metrics,
    });
    return { mock, verifier, clock, log, counted };
  }
  const minutes = (n: number) => n * 60_000;

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

  it("logs an error and counts a failed reload, and keeps the last good list meanwhile", async () => {
    // A revocation put with a JSON typo.
    const { verifier, clock, log, counted } = secretHolding([[operator, acme], '[{"sha256": "ab",]']);
    await verifier.verify("op-token");

    clock.now = minutes(1) + 1;
    const principal = await verifier.verify("acme-token");

    expect(principal).toEqual({ kind: "tenant", tenantId: "acme-staging" });
    expect(log.entries).toEqual([
      {
        level: "error",
        message: "API token list reload failed",
        data: [
          {
            secret: "siesa-integration/staging/api-tokens",
            error:
              "secret siesa-integration/staging/api-tokens is not valid JSON: expected a list of token entries",
            consequence: "the last good list stays in use for at most 15 minutes after it loaded",
          },
        ],
      },
    ]);
    expect(counted).toEqual([{ name: "TokenListReloadFailed", value: 1 }]);
  });

  it("refuses every token once the last good list is 15 minutes old, until a good list loads", async () => {
    const { verifier, clock, log, counted, mock } = secretHolding([[operator, acme], new Error("throttled")]);
    await verifier.verify("op-token");

    clock.now = minutes(14);
    const late = await verifier.verify("op-token");
    clock.now = minutes(15);
    const stale = await verifier.verify("op-token");
    mock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify([operator]) });
    clock.now = minutes(16);
    const recovered = await verifier.verify("op-token");

    expect(late).toEqual({ kind: "operator" });
    expect(stale).toBeUndefined();
    expect(recovered).toEqual({ kind: "operator" });
    expect(counted).toHaveLength(2);
    expect(log.entries.at(-1)?.data[0]).toMatchObject({
      error: "Error",
      consequence: "every token is refused until a good list loads",
    });
  });

  it("while it refuses every token, tries again within seconds, not a minute", async () => {
    const { verifier, clock, mock } = secretHolding([new Error("ThrottlingException"), [operator]]);
    const refused = await verifier.verify("op-token");

    clock.now = 4_000;
    const tooSoon = await verifier.verify("op-token");
    clock.now = 5_000;
    const recovered = await verifier.verify("op-token");

    expect(refused).toBeUndefined();
    expect(tooSoon).toBeUndefined();
    expect(recovered).toEqual({ kind: "operator" });
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("refuses every token, and says so, when the first load fails", async () => {
    const { verifier, log, counted } = secretHolding([
      new Error("AccessDenied: arn:aws:iam::224874703567:role/x"),
    ]);

    const principal = await verifier.verify("op-token");

    expect(principal).toBeUndefined();
    expect(counted).toHaveLength(1);
    // Only the error's kind: an SDK message names the account and role.
    expect(log.lines.join("\n")).not.toContain("224874703567");
  });
});
