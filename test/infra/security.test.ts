import { describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../infra/plan/run.js";
import { SECRET_PLACEHOLDER } from "../../infra/plan/stack-config.js";
import { INTEGRATION_ACCOUNT_ID, REGION } from "../../infra/settings.js";
import { LEASE_KEY_PREFIX, TenantLease } from "../../runtime/edges/store/lease.js";
import { openStore } from "../../runtime/wiring/local-store.js";
import { named, ofType, planOf, prodWithPager, T } from "./plans.js";

interface Statement {
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const statementsOf = (policy: PlannedResource): Statement[] =>
  JSON.parse(String(policy.inputs.policy)).Statement;
const policies = (plan: Plan) => ofType(plan, T.rolePolicy);
const allStatements = (plan: Plan) => policies(plan).flatMap(statementsOf);

/** Every key of every registered input, at any depth, with its value. */
function* fields(value: unknown, key = ""): Generator<[string, unknown]> {
  if (Array.isArray(value)) for (const item of value) yield* fields(item, key);
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield [k, v];
      yield* fields(v, k);
    }
  }
}

/** An IAM ARN pattern (`*` any characters, `?` one) as a regular expression. */
const iamPattern = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  );

describe.each(["staging", "prod"])("%s: permissions", (stack) => {
  it("no IAM statement grants a wildcard action", async () => {
    const statements = allStatements(await planOf(stack));
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of statement.Action) expect(action, statement.Sid).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
  });

  it("every resource is an ARN of this stack's account, region and names", async () => {
    for (const statement of allStatements(await planOf(stack))) {
      for (const resource of statement.Resource) {
        expect(resource, statement.Sid).not.toBe("*");
        const arn = /^arn:aws:([a-z0-9-]+):([a-z0-9-]*):(\d{12}):(.+)$/.exec(resource);
        expect(arn, `${statement.Sid}: ${resource}`).not.toBeNull();
        const [, service, region, account, rest] = arn as unknown as string[];
        expect(account).toBe(INTEGRATION_ACCOUNT_ID);
        expect(region).toBe(service === "iam" ? "" : REGION);
        if (rest?.startsWith("secret:siesa-integration/*/")) {
          // The only pattern over names without the stack: scoped to this stack's tenant secrets by tag.
          expect(statement.Condition?.StringEquals).toEqual({
            "secretsmanager:ResourceTag/siesa-integration-stack": stack,
          });
          expect(statement.Condition?.Null).toEqual({
            "secretsmanager:ResourceTag/siesa-integration-tenant": "false",
          });
        } else if (rest?.startsWith("secret:")) {
          expect(rest).toContain(`siesa-integration/${stack}/`);
        } else {
          expect(rest).toContain(`siesa-integration-${stack}-`);
        }
      }
    }
  });

  it("each function has its own role, whose only policy names its own log group", async () => {
    const plan = await planOf(stack);
    const functions = ofType(plan, T.function);
    const roles = functions.map((fn) => String(fn.inputs.role));
    expect(new Set(roles).size).toBe(functions.length);
    for (const fn of functions) {
      const roleName = String(fn.inputs.role).split("/").pop();
      const attached = policies(plan).filter((p) => p.inputs.role === roleName);
      expect(attached, String(fn.inputs.name)).toHaveLength(1);
      const logs = statementsOf(attached[0] as PlannedResource).find((s) => s.Sid === "OwnLogs");
      expect(logs?.Resource).toEqual([
        `arn:aws:logs:${REGION}:${INTEGRATION_ACCOUNT_ID}:log-group:/aws/lambda/${fn.inputs.name}:*`,
      ]);
    }
  });

  it("the scheduler's role can only send to the sync-requests queue (and its dead-letter queue) and invoke the sweeper", async () => {
    const plan = await planOf(stack);
    const role = named(plan, "scheduling/role");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
      }),
    ]);
    const attached = policies(plan).filter((p) => p.inputs.role === role.inputs.name);
    expect(attached.flatMap(statementsOf).map(({ Action, Resource }) => ({ Action, Resource }))).toEqual([
      {
        Action: ["sqs:SendMessage"],
        Resource: [
          `arn:aws:sqs:${REGION}:${INTEGRATION_ACCOUNT_ID}:siesa-integration-${stack}-sync-requests`,
          `arn:aws:sqs:${REGION}:${INTEGRATION_ACCOUNT_ID}:siesa-integration-${stack}-sync-requests-dlq`,
        ],
      },
      {
        Action: ["lambda:InvokeFunction"],
        Resource: [
          `arn:aws:lambda:${REGION}:${INTEGRATION_ACCOUNT_ID}:function:siesa-integration-${stack}-settle`,
        ],
      },
    ]);
    for (const schedule of ofType(plan, T.schedule)) {
      expect(schedule.inputs.target).toMatchObject({
        roleArn: expect.stringMatching(`role/${role.inputs.name}$`),
      });
    }
  });

  it("the API and settle may read and pause every tenant's schedule, and not the sweeper's", async () => {
    const plan = await planOf(stack);
    const arnOf = (schedule: PlannedResource) =>
      `arn:aws:scheduler:${REGION}:${INTEGRATION_ACCOUNT_ID}:schedule/${schedule.inputs.groupName}/${schedule.inputs.name}`;
    const sweeper = arnOf(named(plan, "scheduling/sweeper"));
    const tenants = ofType(plan, T.schedule)
      .filter((schedule) => schedule.component.startsWith("tenant-"))
      .map(arnOf);
    const granted = allStatements(plan).filter((s) => s.Action.some((a) => a.startsWith("scheduler:")));
    expect(tenants.length).toBeGreaterThan(0);
    expect(granted.map((s) => s.Sid).sort()).toEqual(["PauseResumeSchedules", "ReadSchedules"]);

    for (const statement of granted) {
      const patterns = statement.Resource.map(iamPattern);
      for (const arn of tenants)
        expect(
          patterns.some((p) => p.test(arn)),
          `${statement.Sid}: ${arn}`,
        ).toBe(true);
      expect(
        patterns.some((p) => p.test(sweeper)),
        `${statement.Sid}: ${sweeper}`,
      ).toBe(false);
    }
  });

  it("each function reads only its own kind of tenant secret; dispatch none", async () => {
    const plan = await planOf(stack);
    const secretsOf = (policy: string) =>
      statementsOf(named(plan, policy))
        .filter((s) => s.Action.includes("secretsmanager:GetSecretValue"))
        .flatMap((s) => s.Resource.map((arn) => arn.split(":secret:")[1]))
        .sort();

    expect(secretsOf("pipeline/dispatch/policy")).toEqual([]);
    expect(secretsOf("pipeline/extract/policy")).toEqual(["siesa-integration/*/siesa-??????"]);
    expect(secretsOf("pipeline/load/policy")).toEqual([
      "siesa-integration/*/kong-rfid-??????",
      "siesa-integration/*/wms-??????",
    ]);
    expect(secretsOf("api/handler/policy")).toEqual([
      "siesa-integration/*/kong-rfid-??????",
      "siesa-integration/*/siesa-??????",
      "siesa-integration/*/wms-??????",
      `siesa-integration/${stack}/api-tokens-AbCdEf`,
    ]);
  });

  it("the secret patterns match the secrets the program creates, and nothing of another kind", async () => {
    const plan = await planOf(stack);
    const arnsOf = (system: RegExp) =>
      ofType(plan, T.secret)
        .map(
          (s) => `arn:aws:secretsmanager:${REGION}:${INTEGRATION_ACCOUNT_ID}:secret:${s.inputs.name}-AbCdEf`,
        )
        .filter((arn) => system.test(arn));
    const patternsOf = (policy: string) =>
      statementsOf(named(plan, policy))
        .filter((s) => s.Action.includes("secretsmanager:GetSecretValue") && s.Condition)
        .flatMap((s) => s.Resource.map(iamPattern));
    const siesa = arnsOf(/\/siesa-AbCdEf$/);
    const product = arnsOf(/\/(kong-rfid|wms)-AbCdEf$/);
    expect(siesa.length).toBeGreaterThan(0);
    expect(product.length).toBeGreaterThan(0);

    const extract = patternsOf("pipeline/extract/policy");
    const load = patternsOf("pipeline/load/policy");

    for (const arn of siesa) {
      expect(
        extract.some((p) => p.test(arn)),
        arn,
      ).toBe(true);
      expect(
        load.some((p) => p.test(arn)),
        arn,
      ).toBe(false);
    }
    for (const arn of product) {
      expect(
        load.some((p) => p.test(arn)),
        arn,
      ).toBe(true);
      expect(
        extract.some((p) => p.test(arn)),
        arn,
      ).toBe(false);
    }
    const tokens = `arn:aws:secretsmanager:${REGION}:${INTEGRATION_ACCOUNT_ID}:secret:siesa-integration/${stack}/api-tokens-AbCdEf`;
    expect([...extract, ...load].some((p) => p.test(tokens))).toBe(false);
  });

  it("no function can write tenant configuration: tenants-table writes are on lease keys only", async () => {
    const plan = await planOf(stack);
    const tenantsTable = `arn:aws:dynamodb:${REGION}:${INTEGRATION_ACCOUNT_ID}:table/siesa-integration-${stack}-tenants`;
    const writes = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQL\w+)$/;
    let leaseStatements = 0;
    for (const statement of allStatements(plan)) {
      if (!statement.Resource.includes(tenantsTable) || !statement.Action.some((a) => writes.test(a)))
        continue;
      leaseStatements++;
      expect(statement.Action, statement.Sid).toEqual(["dynamodb:PutItem", "dynamodb:DeleteItem"]);
      expect(statement.Resource, statement.Sid).toEqual([tenantsTable]);
      expect(statement.Condition, statement.Sid).toEqual({
        "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [`${LEASE_KEY_PREFIX}*`] },
      });
    }
    // dispatch, verify and the API take leases; ending a run (any worker) and the sweeper release them.
    expect(leaseStatements).toBe(6);
  });

  it("the internet-facing API's role cannot touch the ledger; only load and verify may write it", async () => {
    const plan = await planOf(stack);
    const ledger = `arn:aws:dynamodb:${REGION}:${INTEGRATION_ACCOUNT_ID}:table/siesa-integration-${stack}-ledger`;
    const ledgerActions = (policy: string) =>
      statementsOf(named(plan, policy))
        .filter((s) => s.Resource.includes(ledger))
        .flatMap((s) => s.Action)
        .filter((a) => a !== "dynamodb:DescribeTable"); // GET /health/details
    const writers = ["dispatch", "extract", "load", "settle", "verify"].filter((fn) =>
      ledgerActions(`pipeline/${fn}/policy`).includes("dynamodb:PutItem"),
    );

    expect(ledgerActions("api/handler/policy")).toEqual([]);
    expect(writers).toEqual(["load", "verify"]);
  });

  it("the audit table takes new entries only: PutItem, nothing else, from every function", async () => {
    const plan = await planOf(stack);
    const audit = `arn:aws:dynamodb:${REGION}:${INTEGRATION_ACCOUNT_ID}:table/siesa-integration-${stack}-audit`;
    const actions = allStatements(plan)
      .filter((s) => s.Resource.includes(audit))
      .flatMap((s) => s.Action)
      .filter((a) => a !== "dynamodb:DescribeTable"); // GET /health/details
    expect(new Set(actions)).toEqual(new Set(["dynamodb:PutItem"]));
  });

  it("the scheduler's role can be assumed only by this stack's schedule group", async () => {
    const role = named(await planOf(stack), "scheduling/role");

    const [trust] = JSON.parse(String(role.inputs.assumeRolePolicy)).Statement;

    expect(trust.Condition).toEqual({
      StringEquals: {
        "aws:SourceAccount": INTEGRATION_ACCOUNT_ID,
        "aws:SourceArn": `arn:aws:scheduler:${REGION}:${INTEGRATION_ACCOUNT_ID}:schedule-group/siesa-integration-${stack}-schedules`,
      },
    });
  });

  it("the alarm topic is encrypted with the stack's own key, which CloudWatch may use for this stack's alarms", async () => {
    const plan = await planOf(stack);
    const [topic] = ofType(plan, "aws:sns/topic:Topic");
    const [key] = ofType(plan, "aws:kms/key:Key");

    const statements = JSON.parse(String(key?.inputs.policy)).Statement;

    expect(topic?.inputs.kmsMasterKeyId).toMatch(/^arn:aws:kms:us-east-1:224874703567:key\//);
    expect(key?.inputs.enableKeyRotation).toBe(true);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Condition: {
          StringEquals: { "aws:SourceAccount": INTEGRATION_ACCOUNT_ID },
          ArnLike: {
            "aws:SourceArn": `arn:aws:cloudwatch:${REGION}:${INTEGRATION_ACCOUNT_ID}:alarm:siesa-integration-${stack}-*`,
          },
        },
      }),
    );
    // The condition names this stack's alarms by prefix: every alarm must carry it.
    for (const alarm of ofType(plan, T.alarm)) {
      expect(
        String(alarm.inputs.name).startsWith(`siesa-integration-${stack}-`),
        String(alarm.inputs.name),
      ).toBe(true);
    }
  });

  it("anonymous GET /health has its own route, throttled apart from the operators' routes", async () => {
    const plan = await planOf(stack);
    const throttle = JSON.parse(plan.config["siesa-integration:apiThrottle"] ?? "{}");

    const routes = ofType(plan, "aws:apigatewayv2/route:Route").map((r) => r.inputs.routeKey);
    const [stage] = ofType(plan, "aws:apigatewayv2/stage:Stage");

    expect(routes.sort()).toEqual(["$default", "GET /health"]);
    expect(stage?.inputs.routeSettings).toEqual([
      {
        routeKey: "GET /health",
        throttlingRateLimit: throttle.healthRateLimit,
        throttlingBurstLimit: throttle.healthBurstLimit,
      },
    ]);
    expect(throttle.healthRateLimit).toBeLessThan(throttle.rateLimit);
  });

  it("every function has reserved concurrency from the stack config", async () => {
    const plan = await planOf(stack);
    const configured = JSON.parse(plan.config["siesa-integration:reservedConcurrency"] ?? "{}");

    const reserved = Object.fromEntries(
      ofType(plan, T.function).map((fn) => [
        String(fn.inputs.name).split(`${stack}-`)[1],
        fn.inputs.reservedConcurrentExecutions,
      ]),
    );

    expect(reserved).toEqual(configured);
  });

  it("no secret value appears in any registered input", async () => {
    const plan = await planOf(stack);
    expect(ofType(plan, T.secretVersion)).toEqual([]);
    const secretLike = /^(secretString|secretBinary|password|conniKey|conniToken|token|apiKey)$/i;
    for (const resource of plan.resources) {
      for (const [key] of fields(resource.inputs)) expect(key, resource.name).not.toMatch(secretLike);
    }
    for (const fn of ofType(plan, T.function)) {
      const variables = Object.keys((fn.inputs.environment as { variables: object }).variables);
      for (const name of variables) expect(name).not.toMatch(/secret|password|token|key/i);
    }
  });
});

/** Pulumi's marker of a secret value in registered inputs. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** A value with every Pulumi secret in it replaced by "[secret]": what state holds in plain text. */
function plainPart(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainPart);
  if (typeof value !== "object" || value === null) return value;
  if (Object.values(value).includes(SECRET_SIG)) return "[secret]";
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plainPart(inner)]));
}

describe("secret stack config stays secret", () => {
  it("prod's pager URL (set with --secret) is registered, and only as a Pulumi secret: in no input or output in plain text", async () => {
    const plan = await planOf("prod", { config: await prodWithPager() });
    const registered = JSON.stringify([plan.resources.map((r) => r.inputs), plan.outputs]);

    expect(registered).toContain(SECRET_PLACEHOLDER);
    expect(JSON.stringify(plainPart(JSON.parse(registered)))).not.toContain(SECRET_PLACEHOLDER);
  });
});

describe("the runtime stays inside the lease condition", () => {
  it("a lease taken and released touches only keys that start with the lease prefix", async () => {
    const store = await openStore({ prefix: `test-lease-keys-${Date.now()}` });
    try {
      const lease = new TenantLease(store.doc, store.names.tenants);
      const keys: string[] = [];
      const send = store.doc.send.bind(store.doc);
      store.doc.send = ((command: { input: { Item?: { tenantId: string }; Key?: { tenantId: string } } }) => {
        const key = command.input.Item?.tenantId ?? command.input.Key?.tenantId;
        if (key) keys.push(key);
        return send(command as never);
      }) as typeof store.doc.send;

      await lease.acquire("acme", "run-1", new Date(), 60_000);
      await lease.release("acme", "run-1");

      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) expect(key.startsWith(LEASE_KEY_PREFIX)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
