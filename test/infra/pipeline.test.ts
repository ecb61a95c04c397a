import { describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../infra/plan/run.js";
import { API_FUNCTION, QUEUES, SETTLED_QUEUES, WORKERS } from "../../runtime/core/domain/pipeline-config.js";
import { ENV } from "../../runtime/core/domain/resource-names.js";
import { tableNames } from "../../runtime/edges/store/tables.js";
import { named, ofType, planOf, T } from "./plans.js";

const queueArn = (queue: PlannedResource) =>
  `arn:aws:sqs:us-east-1:224874703567:${String(queue.inputs.name)}`;
const functionByArnOrName = (plan: Plan, ref: unknown) =>
  ofType(plan, T.function).find((fn) => String(ref).endsWith(`:${fn.inputs.name}`) || ref === fn.inputs.name);

describe.each(["staging", "prod"])("%s: pipeline", (stack) => {
  it("every queue has a dead-letter queue with the runtime's redrive count", async () => {
    const plan = await planOf(stack);
    const queues = ofType(plan, T.queue);
    const deadLetterArns = new Set(queues.filter((q) => !q.inputs.redrivePolicy).map(queueArn));
    const main = queues.filter((q) => q.inputs.redrivePolicy);
    expect(main.map((q) => q.inputs.name).sort()).toEqual(
      Object.values(QUEUES)
        .map((spec) => `siesa-integration-${stack}-${spec.suffix}`)
        .sort(),
    );
    for (const queue of main) {
      const redrive = JSON.parse(String(queue.inputs.redrivePolicy));
      expect(deadLetterArns).toContain(redrive.deadLetterTargetArn);
      const spec = Object.values(QUEUES).find((s) => String(queue.inputs.name).endsWith(`-${s.suffix}`));
      expect(redrive.maxReceiveCount).toBe(spec?.maxReceiveCount);
      expect(queue.inputs.sqsManagedSseEnabled).toBe(true);
    }
    for (const queue of queues)
      expect(queue.inputs.sqsManagedSseEnabled, String(queue.inputs.name)).toBe(true);
  });

  it("every queue's visibility timeout is at least 6× its consumer's timeout", async () => {
    const plan = await planOf(stack);
    const mappings = ofType(plan, T.eventSourceMapping);
    // Each queue to its worker, and each dead-letter queue but the notifications' to settle.
    expect(mappings).toHaveLength(Object.keys(QUEUES).length + SETTLED_QUEUES.length);
    for (const mapping of mappings) {
      const queue = ofType(plan, T.queue).find((q) => queueArn(q) === mapping.inputs.eventSourceArn);
      const consumer = functionByArnOrName(plan, mapping.inputs.functionName);
      expect(queue && consumer, String(mapping.name)).toBeTruthy();
      expect(Number(queue?.inputs.visibilityTimeoutSeconds)).toBeGreaterThanOrEqual(
        6 * Number(consumer?.inputs.timeout),
      );
    }
  });

  it("each queue feeds its worker with the batch size, window and concurrency the runtime expects", async () => {
    const plan = await planOf(stack);
    for (const [key, spec] of Object.entries(QUEUES)) {
      const mapping = named(plan, `pipeline/${key}-to-${spec.consumer}`);
      expect(mapping.inputs).toMatchObject({
        eventSourceArn: expect.stringMatching(
          `:siesa-integration-${stack}-${spec.suffix.replace(".", "\\.")}$`,
        ),
        functionName: expect.stringMatching(`:siesa-integration-${stack}-${spec.consumer}$`),
        batchSize: spec.batchSize,
        functionResponseTypes: ["ReportBatchItemFailures"],
        scalingConfig: { maximumConcurrency: spec.maximumConcurrency },
      });
      expect(mapping.inputs.maximumBatchingWindowInSeconds ?? 0).toBe(spec.maximumBatchingWindowSeconds);
    }
  });

  it("every function runs nodejs22.x on arm64 with the runtime's memory and timeout, logging to its own log group with retention", async () => {
    const plan = await planOf(stack);
    const retention = stack === "prod" ? 90 : 30;
    const specs = { ...WORKERS, api: API_FUNCTION };
    for (const [fn, spec] of Object.entries(specs)) {
      const lambda = ofType(plan, T.function).find(
        (f) => f.inputs.name === `siesa-integration-${stack}-${fn}`,
      );
      expect(lambda?.inputs, fn).toMatchObject({
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        handler: "index.handler",
        memorySize: spec.memoryMb,
        timeout: spec.timeoutSeconds,
        loggingConfig: { logGroup: `/aws/lambda/siesa-integration-${stack}-${fn}` },
      });
      const logGroup = ofType(plan, T.logGroup).find(
        (g) => g.inputs.name === `/aws/lambda/siesa-integration-${stack}-${fn}`,
      );
      expect(logGroup?.inputs.retentionInDays, fn).toBe(retention);
    }
  });

  it("functions are wired to this stack's tables and queues through the runtime's variables", async () => {
    const plan = await planOf(stack);
    const tables = ofType(plan, T.table).map((t) => t.inputs.name);
    for (const fn of ofType(plan, T.function)) {
      const variables = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(variables[ENV.stack]).toBe(stack);
      expect(Object.values(tableNames(variables[ENV.tablePrefix] ?? "")).sort()).toEqual([...tables].sort());
      const queueUrl = (suffix: string) =>
        `https://sqs.us-east-1.amazonaws.com/224874703567/siesa-integration-${stack}-${suffix}`;
      expect(variables[ENV.syncRequestsQueueUrl]).toBe(queueUrl("sync-requests"));
      expect(variables[ENV.unitsQueueUrl]).toBe(queueUrl("units.fifo"));
      expect(variables[ENV.loadsQueueUrl]).toBe(queueUrl("loads.fifo"));
      expect(Number(variables[ENV.retryBaseSeconds])).toBeGreaterThan(0);
    }
  });
});
