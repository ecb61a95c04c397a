import { afterEach, describe, expect, it } from "vitest";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import { CredentialsError } from "../../runtime/core/ports/pipeline.js";
import type { TenantCredentials } from "../../runtime/core/ports/tenant-clients.js";
import { createTenantCheck } from "../../runtime/wiring/check.js";
import { connectionsFor } from "../../runtime/wiring/compose.js";
import { type LocalSandboxes, type LocalSandboxOptions, startSandboxes } from "../../sandbox/local.js";
import { recordingLog } from "../support/log.js";
import { tenantNamed } from "./factories.js";

// The connectivity check against the real Siesa and Kong sandboxes over HTTP, with the real clients.

const started: LocalSandboxes[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

/** Retries still happen, without real waits. */
const fastPolicy = () =>
  defaultPolicy({ baseDelayMs: 1, maxDelayMs: 2, timeoutMs: 1_000, sleep: async () => {} });

/**
 * Sandboxes, a local tenant pointing at them, and the check; `secrets` decides what the credential
 * source answers (the sandboxes' own pairs by default, or a CredentialsError).
 */
async function checkWorld(
  options: {
    secrets?: (good: TenantCredentials) => TenantCredentials | CredentialsError;
    sandbox?: Partial<LocalSandboxOptions>;
  } = {},
) {
  const sandboxes = await startSandboxes({ product: "kong-rfid", items: 5, seed: 3, ...options.sandbox });
  started.push(sandboxes);
  const tenant: Tenant = tenantNamed("acme-local", (t) => {
    t.environment = "local";
    t.siesa.baseUrl = sandboxes.siesaUrl;
    t.product.baseUrl = sandboxes.productUrl;
  });
  const answer = options.secrets ? options.secrets(sandboxes.credentials) : sandboxes.credentials;
  const log = recordingLog();
  const check = createTenantCheck({
    tenants: { get: async (id) => (id === tenant.id ? tenant : undefined), list: async () => [tenant] },
    credentials: {
      forTenant: async () => {
        if (answer instanceof CredentialsError) throw answer;
        return answer;
      },
    },
    clientsFor: connectionsFor,
    policy: fastPolicy(),
    log,
  });
  return { check, sandboxes, log };
}

describe("tenant connectivity check", () => {
  it("reports every check ok when the secrets are right and both APIs answer", async () => {
    const { check } = await checkWorld();

    const report = await check("acme-local");

    expect(report).toEqual({
      ok: true,
      checks: [
        { name: "secrets", ok: true },
        { name: "siesa", ok: true },
        { name: "product", ok: true },
      ],
    });
  });

  it("writes nothing to the product", async () => {
    const { check, sandboxes } = await checkWorld();

    await check("acme-local");

    expect(sandboxes.kong?.stats.creates).toBe(0);
  });

  it("reports a wrong Siesa token as Siesa's refusal, without the token", async () => {
    const wrongToken = "eyJhbGciOi.wrong-token-value.sig";
    const { check } = await checkWorld({
      secrets: (good) => ({ ...good, siesa: { ...good.siesa, conniToken: wrongToken } }),
    });

    const report = await check("acme-local");

    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual({
      name: "siesa",
      ok: false,
      reason: expect.stringMatching(/Siesa rejected the ConniKey\/ConniToken pair .*401/),
    });
    expect(report.checks).toContainEqual({ name: "product", ok: true });
    expect(JSON.stringify(report)).not.toContain(wrongToken);
  });

  it("reports a wrong product password as the product's refusal, without the password", async () => {
    const wrongPassword = "fake-wrong-password";
    const { check } = await checkWorld({
      secrets: (good) => ({ ...good, product: { ...good.product, password: wrongPassword } }),
    });

    const report = await check("acme-local");

    expect(report.checks).toContainEqual({
      name: "product",
      ok: false,
      reason: expect.stringContaining("kong-rfid refused the credentials of tenant acme-local"),
    });
    expect(report.checks).toContainEqual({ name: "siesa", ok: true });
    expect(JSON.stringify(report)).not.toContain(wrongPassword);
  });

  it("reports missing secrets and skips the calls that need them", async () => {
    const missing = new CredentialsError("secret siesa-integration/acme-local/siesa does not exist");
    const { check, sandboxes } = await checkWorld({ secrets: () => missing });

    const report = await check("acme-local");

    expect(report).toEqual({
      ok: false,
      checks: [
        { name: "secrets", ok: false, reason: missing.message },
        { name: "siesa", ok: false, reason: "skipped: the secrets are not usable" },
        { name: "product", ok: false, reason: "skipped: the secrets are not usable" },
      ],
    });
    expect(sandboxes.siesa.stats.total).toBe(0);
    expect(sandboxes.kong?.stats.requests).toBe(0);
  });

  it("reports a Siesa that keeps failing with the status it answered", async () => {
    const { check } = await checkWorld({ sandbox: { siesaFaults: { serverErrorShare: 1 } } });

    const report = await check("acme-local");

    expect(report.checks).toContainEqual({
      name: "siesa",
      ok: false,
      reason: expect.stringMatching(/^siesa .* failed \(500 from [^)]+\)/),
    });
  });

  it("reports an unknown tenant", async () => {
    const { check } = await checkWorld();

    expect(await check("nobody-here")).toEqual({
      ok: false,
      checks: [{ name: "tenant", ok: false, reason: "tenant nobody-here does not exist" }],
    });
  });
});
