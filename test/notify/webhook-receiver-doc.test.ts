import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { NotifyDependencies } from "../../runtime/core/ports/notifier.js";
import { fetchWebhook } from "../../runtime/edges/http/webhook.js";
import { localTenantDirectory } from "../../runtime/edges/local/tenants.js";
import { MemoryNotificationMarks } from "../../runtime/edges/store/notification-marks.js";
import { localWebhook } from "../../runtime/wiring/local-credentials.js";
import { createNotifyHandler } from "../../runtime/workers/notify-worker.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";
import { notificationEvent, recordingMetrics, webhookReceiver } from "./support.js";

type Verified = (rawBody: string, headers: Record<string, unknown>, signingSecret: string) => boolean;

/** The receiver's check exactly as docs/operations.md "Notifications" shows it. */
function documentedCheck(): Verified {
  const doc = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
  const section = doc.slice(doc.indexOf("## Notifications"));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error("docs/operations.md Notifications: no receiver example");
  const body = code.replace(/^import .*$/m, "");
  return new Function("createHmac", "timingSafeEqual", `${body}\nreturn verified;`)(
    createHmac,
    timingSafeEqual,
  ) as Verified;
}

const SIGNING_SECRET = "whsec-acme-0123456789";
const tenant = aTenant((t) => {
  t.notify = { emails: [], webhook: true };
});
const partial = {
  id: "20261206T115500Z-1a2b#partial",
  tenantId: tenant.id,
  kind: "partial",
  runId: "20261206T115500Z-1a2b",
  reason: "12 % of the run's records were rejected or failed (más de 5 %)",
  counts: { extracted: 100, rejected: 12 },
  at: "2026-12-06T12:00:00.000Z",
};

const receivers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function aSignedRequest() {
  const receiver = await webhookReceiver();
  receivers.push(receiver);
  const deps: NotifyDependencies = {
    tenants: localTenantDirectory([tenant]),
    secrets: localWebhook({ url: receiver.url, signingSecret: SIGNING_SECRET }),
    marks: new MemoryNotificationMarks(),
    email: { send: async () => {} },
    webhook: fetchWebhook(),
    apiUrl: () => "https://abc123.execute-api.us-east-1.amazonaws.com/",
    log: quietLog,
    metrics: recordingMetrics(),
    redelivery: { retryLater: async () => {} },
    retryBaseSeconds: 30,
    now: () => new Date(),
  };
  await createNotifyHandler(deps)(notificationEvent(partial));
  const [request] = receiver.requests;
  if (!request) throw new Error("the webhook got no request");
  return request;
}

describe("the webhook receiver's check in docs/operations.md", () => {
  it("accepts a request the notify worker signed, with the tenant's signing secret only", async () => {
    const verified = documentedCheck();
    const { body, headers } = await aSignedRequest();

    expect(verified(body, headers, SIGNING_SECRET)).toBe(true);
    expect(verified(body, headers, "whsec-another-tenant")).toBe(false);
  });

  it("refuses a changed body, a replayed old timestamp and a request without one", async () => {
    const verified = documentedCheck();
    const { body, headers } = await aSignedRequest();
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const replayed = {
      ...headers,
      "x-siesa-integration-timestamp": old,
      "x-siesa-integration-signature": `sha256=${createHmac("sha256", SIGNING_SECRET).update(`${old}.${body}`).digest("hex")}`,
    };
    const { "x-siesa-integration-timestamp": _, ...withoutTimestamp } = headers;

    expect(verified(body.replace("12 %", "1 %"), headers, SIGNING_SECRET)).toBe(false);
    expect(verified(body, replayed, SIGNING_SECRET)).toBe(false);
    expect(verified(body, withoutTimestamp, SIGNING_SECRET)).toBe(false);
  });
});
