import { describe, expect, it } from "vitest";
import { readStackConfig } from "../../infra/plan/stack-config.js";
import { parseStackSettings, StackConfigError } from "../../infra/settings.js";
import { TABLE_DEFINITIONS } from "../../runtime/edges/store/tables.js";
import { configWith, named, ofType, planOf, prodWithPager, T } from "./plans.js";

const stagingConfigWith = (changes: Record<string, string | undefined>) => configWith("staging", changes);

const problemsOf = (stack: string, config: Record<string, string>): string[] => {
  try {
    parseStackSettings(stack, config);
  } catch (error) {
    if (error instanceof StackConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("stack configuration is validated before anything is declared", () => {
  it("the committed stack files are valid", async () => {
    expect(problemsOf("staging", await readStackConfig("staging"))).toEqual([]);
    expect(problemsOf("prod", await readStackConfig("prod"))).toEqual([]);
  });

  it("a missing key fails with its name", async () => {
    const config = await stagingConfigWith({ "siesa-integration:alarms": undefined });
    expect(problemsOf("staging", config)).toEqual(["siesa-integration:alarms: missing"]);
  });

  it("a wrong value fails with the key, what is expected and what was given", async () => {
    const alarms = JSON.parse((await readStackConfig("staging"))["siesa-integration:alarms"] ?? "{}");
    const config = await stagingConfigWith({
      "siesa-integration:alarms": JSON.stringify({ ...alarms, failureRatePercent: 150 }),
      "siesa-integration:logRetentionDays": "31",
      "aws:allowedAccountIds": JSON.stringify(["123456789012"]),
    });
    expect(problemsOf("staging", config)).toEqual([
      expect.stringMatching(/^siesa-integration:logRetentionDays: must be one of 1, 3, .* \(got 31\)$/),
      "siesa-integration:alarms.failureRatePercent: must be between 0 and 100 (got 150)",
      'aws:allowedAccountIds: must be [224874703567] (the integration account) (got ["123456789012"])',
    ]);
  });

  it("a stack cannot deploy another stack's environment", async () => {
    expect(problemsOf("prod", await readStackConfig("staging"))).toContain(
      "siesa-integration:environment: the prod stack deploys the production environment (got staging)",
    );
  });

  it("the error names the stack file and every problem at once", async () => {
    const config = await stagingConfigWith({
      "aws:region": "eu-west-1",
      "siesa-integration:environment": undefined,
    });
    expect(() => parseStackSettings("staging", config)).toThrowError(
      /^Pulumi\.staging\.yaml: 2 configuration problems:\n {2}siesa-integration:environment: missing\n {2}aws:region: must be us-east-1/,
    );
  });

  it("prod refuses a placeholder pager endpoint, naming the key", async () => {
    const config = await configWith("prod", {
      "siesa-integration:noPager": undefined,
      "siesa-integration:alertEndpoints": JSON.stringify([
        "https://events.pagerduty.com/integration/REPLACE-WITH-INTEGRATION-KEY/enqueue",
      ]),
    });

    expect(problemsOf("prod", config)).toEqual([
      expect.stringMatching(
        /^siesa-integration:alertEndpoints\.0: is a placeholder: set the real endpoint as a secret/,
      ),
    ]);
  });

  it.each([
    [
      "an http URL",
      JSON.stringify(["http://events.pagerduty.com/integration/SECRET-INTEGRATION-KEY/enqueue"]),
    ],
    ["not a list", JSON.stringify("https://events.pagerduty.com/integration/SECRET-INTEGRATION-KEY/enqueue")],
  ])(
    "a wrong pager endpoint (%s) fails naming the key, never quoting the URL, whose integration key is a secret",
    async (_, endpoints) => {
      const config = await configWith("prod", {
        "siesa-integration:noPager": undefined,
        "siesa-integration:alertEndpoints": endpoints,
      });

      const problems = problemsOf("prod", config);

      expect(problems).toEqual([expect.stringMatching(/^siesa-integration:alertEndpoints(\.0)?: must be/)]);
      expect(problems.join("\n")).not.toContain("SECRET-");
    },
  );

  it("prod without a pager endpoint deploys only if its config says so explicitly", async () => {
    const silent = await configWith("prod", { "siesa-integration:noPager": undefined });
    const explicit = await configWith("prod", { "siesa-integration:noPager": "true" });
    const both = await configWith("prod", {
      "siesa-integration:noPager": "true",
      "siesa-integration:alertEndpoints": JSON.stringify([
        "https://events.pagerduty.com/integration/k/enqueue",
      ]),
    });

    expect(problemsOf("prod", silent)).toEqual([
      "siesa-integration:alertEndpoints: production pages someone: set the pager's endpoint as a secret, or set siesa-integration:noPager: true to deploy without one",
    ]);
    expect(problemsOf("prod", explicit)).toEqual([]);
    expect(problemsOf("prod", await prodWithPager())).toEqual([]);
    expect(problemsOf("prod", both)).toEqual([
      "siesa-integration:noPager: true contradicts the alertEndpoints that are set: keep one of the two",
    ]);
  });

  it("reserved concurrency is required for every function, and a worker's covers its queue's concurrency", async () => {
    const missing = await stagingConfigWith({ "siesa-integration:reservedConcurrency": undefined });
    const tooLow = await stagingConfigWith({
      "siesa-integration:reservedConcurrency": JSON.stringify({
        api: 10,
        dispatch: 2,
        extract: 5,
        load: 20,
        settle: 9,
        verify: 2,
        notify: 2,
      }),
    });

    expect(problemsOf("staging", missing)).toEqual(["siesa-integration:reservedConcurrency: missing"]);
    expect(problemsOf("staging", tooLow)).toEqual([
      "siesa-integration:reservedConcurrency.extract: must be at least 20, the maximum concurrency of the queue feeding extract (got 5)",
    ]);
  });

  it("the program refuses to run on a bad config, naming the key", async () => {
    const config = await stagingConfigWith({ "siesa-integration:dataProtection": "maybe" });
    await expect(planOf("staging", { config })).rejects.toThrow(
      'siesa-integration:dataProtection: must be true or false (got "maybe")',
    );
  });
});

describe("each stack applies its environment's thresholds and protections (docs/operations.md)", () => {
  const alarm = async (stack: string, suffix: string) =>
    named(await planOf(stack), `observability/${suffix}`).inputs;

  it.each([
    ["staging", { failurePercent: 20, durationSeconds: 60 * 60, errors: 10, errorWindowSeconds: 15 * 60 }],
    ["prod", { failurePercent: 10, durationSeconds: 30 * 60, errors: 5, errorWindowSeconds: 5 * 60 }],
  ])(
    "%s alarms on run failure rate, run duration and API errors at its thresholds",
    async (stack, expected) => {
      expect((await alarm(stack, "run-failure-rate")).threshold).toBe(expected.failurePercent);
      expect(await alarm(stack, "run-duration")).toMatchObject({
        threshold: expected.durationSeconds,
        comparisonOperator: "GreaterThanThreshold",
      });
      expect(await alarm(stack, "external-api-errors")).toMatchObject({
        threshold: expected.errors,
        period: expected.errorWindowSeconds,
        statistic: "Sum",
        comparisonOperator: "GreaterThanThreshold",
      });
    },
  );

  it.each(["staging", "prod"])(
    "%s alarms on every dead-letter queue and on each function's errors and throttles",
    async (stack) => {
      const plan = await planOf(stack);
      const alarms = ofType(plan, T.alarm);
      const topic = `arn:aws:sns:us-east-1:224874703567:siesa-integration-${stack}-alarms`;
      for (const a of alarms) expect(a.inputs.alarmActions).toEqual([topic]);
      const watched = (namespace: string, metric: string) =>
        alarms
          .filter((a) => a.inputs.namespace === namespace && a.inputs.metricName === metric)
          .flatMap((a) => Object.values(a.inputs.dimensions as object))
          .sort();
      const deadLetterQueues = ofType(plan, T.queue)
        .filter((q) => !q.inputs.redrivePolicy)
        .map((q) => q.inputs.name)
        .sort();
      const functions = ofType(plan, T.function)
        .map((f) => f.inputs.name)
        .sort();
      expect(watched("AWS/SQS", "ApproximateNumberOfMessagesVisible")).toEqual(deadLetterQueues);
      expect(watched("AWS/Lambda", "Errors")).toEqual(functions);
      expect(watched("AWS/Lambda", "Throttles")).toEqual(functions);
    },
  );

  it("prod with a pager pages its on-call endpoint; staging pages nobody", async () => {
    const prod = await planOf("prod", { config: await prodWithPager() });

    expect(ofType(prod, T.subscription).map((s) => s.inputs.protocol)).toEqual(["https"]);
    expect(ofType(await planOf("staging"), T.subscription)).toEqual([]);
  });

  it("prod tables have point-in-time recovery and deletion protection; staging tables do not", async () => {
    for (const [stack, protectedData] of [
      ["prod", true],
      ["staging", false],
    ] as const) {
      const tables = ofType(await planOf(stack), T.table);
      expect(tables).toHaveLength(Object.keys(TABLE_DEFINITIONS).length);
      for (const table of tables) {
        expect(table.inputs, String(table.inputs.name)).toMatchObject({
          billingMode: "PAY_PER_REQUEST",
          serverSideEncryption: { enabled: true },
          pointInTimeRecovery: { enabled: protectedData },
          deletionProtectionEnabled: protectedData,
        });
      }
    }
  });

  it("run history (runs, their progress, audit) expires; the ledger and tenants keep theirs", async () => {
    const tables = ofType(await planOf("prod"), T.table);
    const ttl = Object.fromEntries(tables.map((t) => [t.inputs.name, t.inputs.ttl]));
    expect(ttl).toEqual({
      "siesa-integration-prod-audit": { attributeName: "expiresAt", enabled: true },
      "siesa-integration-prod-ledger": undefined,
      "siesa-integration-prod-runs": { attributeName: "expiresAt", enabled: true },
      "siesa-integration-prod-tenants": undefined,
    });
  });
});
