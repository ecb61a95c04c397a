import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan } from "../../infra/plan/run.js";
import type { TenantInput } from "../../runtime/core/domain/tenant.js";
import { METRICS } from "../../runtime/core/observability/metric-names.js";
import { aTenantInput } from "../tenants/factories.js";
import { named, ofType, planOf, T } from "./plans.js";

/** A staging tenant that emails two people and calls a webhook. */
const tenant: TenantInput = {
  ...aTenantInput("zz-notified-staging"),
  notify: { emails: ["ops@acme.example", "oncall@acme.example"], webhook: true },
};

const statementsOf = (plan: Plan, fn: string) =>
  JSON.parse(String(named(plan, `pipeline/${fn}/policy`).inputs.policy)).Statement as {
    Action: string[];
    Resource: string[];
  }[];
const grants = (plan: Plan, fn: string, action: string) =>
  statementsOf(plan, fn)
    .filter((s) => s.Action.includes(action))
    .flatMap((s) => s.Resource);

describe("a tenant's notifications in the stack", () => {
  let dir: string;
  let plan: Plan;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "tenants-"));
    await writeFile(path.join(dir, `${tenant.id}.ts`), `export default ${JSON.stringify(tenant)};\n`);
    plan = await planOf("staging", { tenantsDir: dir });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the tenant an encrypted email topic with each address subscribed, and a notify secret", () => {
    const topic = named(plan, `tenant-${tenant.id}/notify-topic`);
    const subscriptions = ofType(plan, T.subscription).filter((s) => s.component === `tenant-${tenant.id}`);

    expect(topic.inputs.name).toBe(`siesa-integration-staging-notify-${tenant.id}`);
    expect(topic.inputs.kmsMasterKeyId).toBe("alias/aws/sns");
    expect(subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint])).toEqual([
      ["email", "ops@acme.example"],
      ["email", "oncall@acme.example"],
    ]);
    expect(named(plan, `tenant-${tenant.id}/notify-secret`).inputs.name).toBe(
      `siesa-integration/${tenant.id}/notify`,
    );
  });

  it("feeds the notifications queue to notify, and keeps its dead letters away from settle", () => {
    const queue = named(plan, "pipeline/notifications");
    const mappings = ofType(plan, T.eventSourceMapping).map((m) => m.name);

    expect(JSON.parse(String(queue.inputs.redrivePolicy)).maxReceiveCount).toBe(8);
    expect(mappings).toContain("pipeline/notifications-to-notify");
    expect(mappings).not.toContain("pipeline/notifications-dlq-to-settle");
  });

  it("alarms on an undeliverable notification, one not raised, and a message in the dead-letter queue", () => {
    const alarms = ofType(plan, T.alarm);
    const byMetric = (metric: string) => alarms.filter((a) => a.inputs.metricName === metric);

    expect(byMetric(METRICS.notificationsUndeliverable)).toHaveLength(1);
    expect(byMetric(METRICS.notificationsNotRaised)).toHaveLength(1);
    expect(alarms.map((a) => a.inputs.name)).toContain(
      "siesa-integration-staging-notifications-dead-letters",
    );
  });

  it("lets notify publish to the tenants' topics and read their notify secrets, and every run-ending function queue events", () => {
    expect(grants(plan, "notify", "sns:Publish")).toEqual([
      "arn:aws:sns:us-east-1:224874703567:siesa-integration-staging-notify-*",
    ]);
    expect(grants(plan, "notify", "secretsmanager:GetSecretValue")).toEqual([
      "arn:aws:secretsmanager:us-east-1:224874703567:secret:siesa-integration/*/notify-??????",
    ]);
    for (const fn of ["dispatch", "extract", "load", "settle", "verify"]) {
      expect(
        grants(plan, fn, "sqs:SendMessage").some((arn) => arn.endsWith("-notifications")),
        fn,
      ).toBe(true);
      expect(grants(plan, fn, "sns:Publish"), fn).toEqual([]);
    }
  });
});
