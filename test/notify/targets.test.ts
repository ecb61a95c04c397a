import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { NOTIFY_KINDS } from "../../runtime/core/domain/notification.js";
import { CredentialsError } from "../../runtime/core/ports/pipeline.js";
import { SecretsManagerCredentials } from "../../runtime/edges/aws/secrets.js";
import { buildRegistry, TenantConfigErrors } from "../../runtime/wiring/tenant-registry.js";
import { anEntry, aTenant, aTenantInput } from "../tenants/factories.js";

/** The messages the registry refuses a tenant file with, whose `notify` is `notify`. */
function problemsWith(notify: unknown): string[] {
  const input = { ...aTenantInput(), notify } as ReturnType<typeof aTenantInput>;
  try {
    buildRegistry([anEntry(input)]);
  } catch (error) {
    if (error instanceof TenantConfigErrors) return error.errors.map((e) => e.message);
    throw error;
  }
  throw new Error("expected the tenant to be refused");
}

describe("a tenant file's notify", () => {
  it("defaults to every event and a 5 % partial threshold", () => {
    const tenant = aTenant((t) => {
      t.notify = { emails: ["ops@acme.example"] };
    });

    expect(tenant.notify).toEqual({
      emails: ["ops@acme.example"],
      webhook: false,
      partialAbove: 0.05,
      on: [...NOTIFY_KINDS],
    });
  });

  it.each<[string, unknown, string]>([
    [
      "an email address that is not one",
      { emails: ["ops@acme.example", "Ops Team"] },
      'tenants/acme-staging.ts: notify.emails.1: must be an email address (got "Ops Team")',
    ],
    [
      // Each address is a subscription named after it: `pulumi up` would refuse the second one's name.
      "an email address listed twice, in another case",
      { emails: ["ops@acme.example", "oncall@acme.example", "Ops@Acme.example"] },
      'tenants/acme-staging.ts: notify.emails.2: lists "Ops@Acme.example" again (as notify.emails.0): each address once',
    ],
    [
      "a webhook URL in the file instead of the secret",
      { webhook: "https://hooks.acme.example/siesa" },
      "tenants/acme-staging.ts: notify.webhook: must be a boolean",
    ],
    [
      "nobody to tell",
      { partialAbove: 0.1 },
      "tenants/acme-staging.ts: notify: names nobody: list emails, or set webhook: true",
    ],
    [
      "a threshold given in percent",
      { emails: ["ops@acme.example"], partialAbove: 5 },
      "tenants/acme-staging.ts: notify.partialAbove: must be at most 1 (a share: 0.05 is 5 %) (got 5)",
    ],
    [
      "an event that does not exist",
      { emails: ["ops@acme.example"], on: ["failed", "slow"] },
      "tenants/acme-staging.ts: notify.on.1: must be one of ",
    ],
    [
      "a stray field",
      { emails: ["ops@acme.example"], secret: "x" },
      "tenants/acme-staging.ts: notify.secret: unknown field",
    ],
  ])("refuses %s, naming the file and field", (_what, notify, message) => {
    const problems = problemsWith(notify);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });
});

describe("the tenant's notify secret", () => {
  const SECRET_ID = "siesa-integration/acme-staging/notify";

  function secretHolding(value: Record<string, string>) {
    const client = new SecretsManagerClient({ region: "us-east-1" });
    mockClient(client)
      .on(GetSecretValueCommand, { SecretId: SECRET_ID })
      .resolves({ SecretString: JSON.stringify(value) });
    return new SecretsManagerCredentials(client, { reads: [] });
  }

  it("gives the webhook URL and signing secret", async () => {
    const source = secretHolding({
      webhookUrl: "https://hooks.acme.example/siesa",
      signingSecret: "s3cret-value",
    });

    await expect(source.webhookOf(aTenant())).resolves.toEqual({
      url: "https://hooks.acme.example/siesa",
      signingSecret: "s3cret-value",
    });
  });

  it("accepts plain http to this machine only", async () => {
    const local = secretHolding({ webhookUrl: "http://127.0.0.1:9000/hook", signingSecret: "s3cret-value" });

    await expect(local.webhookOf(aTenant())).resolves.toMatchObject({ url: "http://127.0.0.1:9000/hook" });
  });

  it.each([
    [
      "plain http to another host",
      "http://hooks.acme.example/siesa?token=tok3n",
      "must be an https URL (http only for loopback), not http://hooks.acme.example",
    ],
    ["not a URL", "hooks.acme.example/siesa?token=tok3n", "must be an absolute https URL"],
    [
      "a URL with a password",
      "https://user:tok3n@hooks.acme.example/",
      "must not contain a user or password",
    ],
  ])("refuses %s, naming the tenant's secret and field but not the URL", async (_what, url, problem) => {
    const source = secretHolding({ webhookUrl: url, signingSecret: "s3cret-value" });

    const error = await source.webhookOf(aTenant()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toBe(`${SECRET_ID}: field webhookUrl ${problem}`);
    expect((error as Error).message).not.toContain("tok3n");
  });

  it("refuses a secret without a signing secret, without its values", async () => {
    const source = secretHolding({ webhookUrl: "https://hooks.acme.example/siesa?token=tok3n" });

    const error = await source.webhookOf(aTenant()).catch((e: unknown) => e);

    expect((error as Error).message).toContain(
      `secret ${SECRET_ID}: field signingSecret must be a non-empty string`,
    );
    expect((error as Error).message).not.toContain("tok3n");
  });
});
