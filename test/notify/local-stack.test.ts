import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../runtime/cli/stack.js";
import { WEBHOOK_HEADERS } from "../../runtime/core/domain/notification.js";
import { QUEUES } from "../../runtime/core/domain/pipeline-config.js";
import { loadTenants } from "../../runtime/wiring/tenant-registry.js";
import { eventually } from "../local/support.js";
import { api, testStack } from "../pipeline/local-stack.js";
import { webhookReceiver } from "./support.js";

/**
 * `npm start` with a webhook: the local stack POSTs each notification for real to a receiver on
 * this machine, signed with the secret it was given, and a receiver that keeps failing never holds
 * up a run.
 */

const SIGNING_SECRET = "whsec-local-0123456789";
const FIXTURES = fileURLToPath(new URL("../fixtures/tenants/", import.meta.url));

let stack: LocalStack;
let answer = 200;
let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
let tenantId: string;

beforeAll(async () => {
  receiver = await webhookReceiver(() => answer);
  const [tenant] = (await loadTenants({ dir: FIXTURES })).forEnvironment("local");
  if (!tenant) throw new Error("no local fixture tenant");
  tenantId = tenant.id;
  stack = await testStack({
    items: 40,
    tenants: [tenant],
    // A fifth of the catalogue is malformed: every run ends partial, far above the 5 % threshold.
    sandboxOverrides: { malformedShare: 0.2 },
    webhook: { url: receiver.url, signingSecret: SIGNING_SECRET },
  });
});
afterAll(async () => {
  await stack?.close();
  await receiver?.close();
});

const notificationsDeadLetters = async () => {
  const { Attributes } = await stack.sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.sqs.queues.notifications.deadLetter.url,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
};

describe("npm start with a webhook", () => {
  it("POSTs a partial run's notification, signed, with a link to the run in the local console", async () => {
    answer = 200;
    const before = receiver.requests.length;

    const run = await api(stack).triggerAndFinish(tenantId);
    await eventually(() => receiver.requests.length > before, "the webhook to be called");

    expect(run.status).toBe("partial");
    const request = receiver.requests[before];
    const body = JSON.parse(request?.body ?? "{}");
    expect(body).toMatchObject({ id: `${run.runId}#partial`, kind: "partial", tenantId, runId: run.runId });
    expect(body.link).toBe(`${stack.apiUrl}/console/runs/${run.runId}`);
    const timestamp = String(request?.headers[WEBHOOK_HEADERS.timestamp.toLowerCase()]);
    const expected = createHmac("sha256", SIGNING_SECRET)
      .update(`${timestamp}.${request?.body}`)
      .digest("hex");
    expect(request?.headers[WEBHOOK_HEADERS.signature.toLowerCase()]).toBe(`sha256=${expected}`);
  });

  it("retries a webhook that answers 500 until the queue gives up, leaving it in the dead-letter queue, while the run ends as usual", async () => {
    answer = 500;
    const before = receiver.requests.length;

    const run = await api(stack).triggerAndFinish(tenantId);
    await eventually(
      async () => (await notificationsDeadLetters()) === 1,
      "the notification to be dead-lettered",
      30_000,
    );

    expect(run.status).toBe("partial");
    expect(receiver.requests.length - before).toBe(QUEUES.notifications.maxReceiveCount);
  });
});
