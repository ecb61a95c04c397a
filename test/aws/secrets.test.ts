import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { SECRETS_READ, type SecretKind } from "../../runtime/core/domain/secret-access.js";
import { CredentialsError } from "../../runtime/core/ports/pipeline.js";
import { SecretsManagerCredentials } from "../../runtime/edges/aws/secrets.js";
import { awsWorkerDependencies } from "../../runtime/wiring/aws-worker-dependencies.js";
import { aTenant } from "../tenants/factories.js";

const SIESA_ID = "siesa-integration/acme-staging/siesa";
const KONG_ID = "siesa-integration/acme-staging/kong-rfid";
const GOOD = {
  [SIESA_ID]: JSON.stringify({ conniKey: "k3y-hex-value", conniToken: "eyJ.secret.jwt" }),
  [KONG_ID]: JSON.stringify({ username: "apes", password: "fake-test-password" }),
};

/** Secrets Manager holding `secrets` (id → SecretString; undefined = no such secret), on a clock a test moves. */
function secretsManager(secrets: Record<string, string | undefined> = GOOD, reads?: readonly SecretKind[]) {
  const client = new SecretsManagerClient({ region: "us-east-1" });
  const mock = mockClient(client);
  mock.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
    const value = secrets[input.SecretId];
    if (value === undefined) {
      throw new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      });
    }
    return { SecretString: value };
  });
  const clock = { now: 0 };
  const source = new SecretsManagerCredentials(client, { now: () => clock.now, ...(reads ? { reads } : {}) });
  return { mock, source, clock, secrets };
}

async function failureOf(promise: Promise<unknown>): Promise<CredentialsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof CredentialsError))
    throw new Error(`expected a CredentialsError, got ${String(error)}`);
  return error;
}

describe("SecretsManagerCredentials", () => {
  it("reads the tenant's Siesa and product secrets by name", async () => {
    const { source } = secretsManager();

    const credentials = await source.forTenant(aTenant());

    expect(credentials).toEqual({
      siesa: { conniKey: "k3y-hex-value", conniToken: "eyJ.secret.jwt" },
      product: { username: "apes", password: "fake-test-password" },
    });
  });

  it("caches the values for 5 minutes, then reads them again (a rotated secret is picked up)", async () => {
    const { mock, source, clock, secrets } = secretsManager({ ...GOOD });
    await source.forTenant(aTenant());
    secrets[KONG_ID] = JSON.stringify({ username: "apes", password: "rotated" });

    clock.now = 4 * 60_000;
    const cached = await source.forTenant(aTenant());
    clock.now = 5 * 60_000 + 1;
    const fresh = await source.forTenant(aTenant());

    expect(cached.product.password).toBe("fake-test-password");
    expect(fresh.product.password).toBe("rotated");
    expect(mock.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });

  it("names a missing secret", async () => {
    const { source } = secretsManager({ [SIESA_ID]: GOOD[SIESA_ID] });

    const error = await failureOf(source.forTenant(aTenant()));

    expect(error.message).toBe(`secret ${KONG_ID} does not exist: create it with the tenant's credentials`);
  });

  it("says a secret is not JSON without quoting any of it", async () => {
    const { source } = secretsManager({ ...GOOD, [SIESA_ID]: "conniKey=k3y-hex-value" });

    const error = await failureOf(source.forTenant(aTenant()));

    expect(error.message).toContain(`secret ${SIESA_ID} is not valid JSON`);
    expect(error.message).toContain('{"conniKey": "...", "conniToken": "..."}');
    expect(error.message).not.toContain("k3y-hex-value");
  });

  it("names the missing or empty field, never the values next to it", async () => {
    const { source } = secretsManager({
      ...GOOD,
      [KONG_ID]: JSON.stringify({ username: "", pasword: "fake-test-password" }),
    });

    const error = await failureOf(source.forTenant(aTenant()));

    expect(error.message).toContain(`secret ${KONG_ID}: field username must be a non-empty string`);
    expect(error.message).toContain("field password must be a non-empty string");
    expect(error.message).not.toContain("hunter2");
  });

  it("does not cache a failure: the secret fixed by an operator is read on the next try", async () => {
    const { source, secrets } = secretsManager({ [SIESA_ID]: GOOD[SIESA_ID] });
    await failureOf(source.forTenant(aTenant()));

    secrets[KONG_ID] = GOOD[KONG_ID];

    expect((await source.forTenant(aTenant())).product.username).toBe("apes");
  });
});

describe("each function reads only its own kind of secret (runtime/core/domain/secret-access.ts)", () => {
  const requested = (mock: ReturnType<typeof secretsManager>["mock"]) =>
    mock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input.SecretId);

  it("extract reads the Siesa secret only; using the product login says why it is not there", async () => {
    const { source, mock } = secretsManager(GOOD, SECRETS_READ.extract);

    const credentials = await source.forTenant(aTenant());

    expect(requested(mock)).toEqual([SIESA_ID]);
    expect(credentials.siesa.conniKey).toBe("k3y-hex-value");
    expect(() => credentials.product.password).toThrow(
      new CredentialsError(
        `this function does not read secret ${KONG_ID} (runtime/core/domain/secret-access.ts)`,
      ),
    );
  });

  it("load reads the product secret only", async () => {
    const { source, mock } = secretsManager(GOOD, SECRETS_READ.load);

    const credentials = await source.forTenant(aTenant());

    expect(requested(mock)).toEqual([KONG_ID]);
    expect(credentials.product.username).toBe("apes");
    expect(() => credentials.siesa.conniToken).toThrow(CredentialsError);
  });

  it("a missing Siesa secret does not matter to load, which never asks for it", async () => {
    const { source } = secretsManager({ [KONG_ID]: GOOD[KONG_ID] }, ["product"]);

    await expect(source.forTenant(aTenant())).resolves.toBeDefined();
  });

  it("a deployed function must say which function it is", () => {
    const env = {
      SIESA_INTEGRATION_STACK: "staging",
      SIESA_INTEGRATION_TABLE_PREFIX: "siesa-integration-staging",
      SIESA_INTEGRATION_SYNC_REQUESTS_URL: "https://sqs/1/a",
      SIESA_INTEGRATION_UNITS_URL: "https://sqs/1/b",
      SIESA_INTEGRATION_LOADS_URL: "https://sqs/1/c",
      SIESA_INTEGRATION_VERIFY_REQUESTS_URL: "https://sqs/1/d",
      SIESA_INTEGRATION_NOTIFICATIONS_URL: "https://sqs/1/e",
    };

    expect(() => awsWorkerDependencies(env)).toThrow(
      "environment variable SIESA_INTEGRATION_FUNCTION is not set (the Pulumi program sets it)",
    );
    expect(() => awsWorkerDependencies({ ...env, SIESA_INTEGRATION_FUNCTION: "everything" })).toThrow(
      "environment variable SIESA_INTEGRATION_FUNCTION is everything: expected one of dispatch, settle, extract, load, verify, api, notify",
    );
    expect(() => awsWorkerDependencies({ ...env, SIESA_INTEGRATION_FUNCTION: "extract" })).not.toThrow();
  });
});
