import { describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../infra/plan/run.js";
import { INTEGRATION_ACCOUNT_ID, REGION } from "../../infra/settings.js";
import { named, ofType, planOf, T } from "./plans.js";

interface Statement {
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
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
        if (rest?.startsWith("secret:siesa-integration/") && rest.endsWith("/*")) {
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

  it("the scheduler's role can only send to the sync-requests queue (and its dead-letter queue)", async () => {
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
    ]);
    for (const schedule of ofType(plan, T.schedule)) {
      expect(schedule.inputs.target).toMatchObject({
        roleArn: expect.stringMatching(`role/${role.inputs.name}$`),
      });
    }
  });

  it("workers that never talk to Siesa or a product cannot read secrets", async () => {
    const plan = await planOf(stack);
    const dispatch = named(plan, "pipeline/dispatch/policy");
    expect(statementsOf(dispatch).flatMap((s) => s.Action)).not.toContain("secretsmanager:GetSecretValue");
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
    // The pager endpoint embeds an integration key: it is registered as a secret.
    for (const subscription of ofType(plan, T.subscription)) {
      expect(JSON.stringify(subscription.inputs.endpoint)).toContain("1b47061264138c4ac30d75fd1eb44270");
    }
  });
});
