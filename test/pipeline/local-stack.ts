import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../runtime/cli/stack.js";

// Factories for the pipeline's integration tests: the whole local stack (real handlers, fauxqs,
// dynalite, sandboxes) with time scaled down, and an API client that reads like an operator's curl.

import { quietLog } from "../support/log.js";

export function testStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    items: 300,
    seed: 5,
    scheduler: false,
    // Visibility timeouts keep their ratios but last seconds, not minutes; failed messages come back at once.
    timeScale: 0.005,
    retryBaseSeconds: 0,
    policy: { baseDelayMs: 1, maxDelayMs: 5, sleep: async () => {} },
    tablePrefix: `it-${Math.random().toString(36).slice(2, 8)}`,
    log: quietLog,
    ...options,
  });
}

export interface RunJson {
  runId: string;
  tenantId: string;
  trigger: string;
  status: string;
  counts: Record<"extracted" | "created" | "updated" | "unchanged" | "rejected" | "failed", number>;
  errors: { key: string; outcome: string; reason: string }[];
  reason?: string;
  skipped?: unknown[];
}

export function api(stack: LocalStack) {
  const call = async (method: string, path: string) => {
    const response = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.operatorToken}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    call,
    trigger: (tenantId: string) => call("POST", `/tenants/${tenantId}/runs`),
    run: async (runId: string) => (await call("GET", `/runs/${runId}`)).body as unknown as RunJson,
    /** Polls the run until it is no longer running. */
    async finished(runId: string, timeoutMs = 60_000): Promise<RunJson> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = (await call("GET", `/runs/${runId}`)).body as unknown as RunJson;
        if (run.status !== "running") return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} still running after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async triggerAndFinish(tenantId: string): Promise<RunJson> {
      const started = await call("POST", `/tenants/${tenantId}/runs`);
      if (started.status !== 202)
        throw new Error(`trigger answered ${started.status}: ${JSON.stringify(started.body)}`);
      return this.finished(String(started.body.runId));
    },
  };
}

/** Messages waiting in a queue's dead-letter queue. */
export async function deadLetters(
  stack: LocalStack,
  queue: "syncRequests" | "units" | "loads",
): Promise<number> {
  const { Attributes } = await stack.sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.sqs.queues[queue].deadLetter.url,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}
