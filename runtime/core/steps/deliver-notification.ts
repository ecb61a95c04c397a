import { createHmac } from "node:crypto";
import { type NotificationEvent, WEBHOOK_HEADERS } from "../domain/notification.js";
import { WORKERS } from "../domain/pipeline-config.js";
import { DIMENSIONS, METRICS } from "../observability/metric-names.js";
import { DeliveryError, type NotifyChannel, type NotifyDependencies } from "../ports/notifier.js";

/**
 * Delivers one event to each channel its tenant has (email, webhook), each at most once: a channel
 * already marked delivered is skipped, so a retry after the webhook failed does not email again.
 * A failed channel throws, and the message comes back with a doubling backoff; its last failed
 * delivery is counted (NotificationsUndeliverable) before SQS dead-letters it.
 */
export async function deliverNotification(
  deps: NotifyDependencies,
  event: NotificationEvent,
  delivery: { final: boolean },
): Promise<void> {
  const tenant = await deps.tenants.get(event.tenantId);
  const notify = tenant?.notify;
  if (!tenant || !notify?.on.includes(event.kind)) {
    // Its file no longer asks for notifications (of this kind): nobody to tell, nothing to retry.
    deps.log.warn("notification dropped: the tenant no longer asks for it", {
      tenantId: event.tenantId,
      event: event.id,
    });
    return;
  }
  const link = linkOf(deps.apiUrl(), event);
  const channels: [NotifyChannel, () => Promise<void>][] = [];
  if (notify.emails.length > 0) {
    channels.push(["email", () => deps.email.send(tenant.id, subjectOf(event), textOf(event, link))]);
  }
  if (notify.webhook) {
    channels.push([
      "webhook",
      async () => {
        const target = await deps.secrets.webhookOf(tenant);
        const body = JSON.stringify({ ...event, ...(link ? { link } : {}) });
        const timestamp = String(Math.floor(deps.now().getTime() / 1000));
        const answer = await deps.webhook
          .post(target.url, body, {
            "Content-Type": "application/json",
            [WEBHOOK_HEADERS.event]: event.id,
            [WEBHOOK_HEADERS.timestamp]: timestamp,
            [WEBHOOK_HEADERS.signature]: `sha256=${signature(target.signingSecret, timestamp, body)}`,
          })
          .catch((error: unknown) => {
            if (!(error instanceof DeliveryError)) throw error;
            throw new DeliveryError(`the webhook of tenant ${tenant.id} did not answer: ${error.message}`);
          });
        // Never the URL: it may carry the receiver's token.
        if (answer.status < 200 || answer.status > 299)
          throw new DeliveryError(`the webhook of tenant ${tenant.id} answered ${answer.status}`);
      },
    ]);
  }

  const failures: { channel: NotifyChannel; error: unknown }[] = [];
  for (const [channel, send] of channels) {
    const now = deps.now().getTime();
    const claim = await deps.marks.claim(tenant.id, event.id, channel, now, now + CLAIM_MS);
    if (claim === "delivered") continue;
    if (claim === "busy") {
      // Another copy of the event is sending it: this one comes back later and finds it delivered,
      // or takes the channel over if that copy died. On its last delivery it leaves it to that copy.
      if (!delivery.final)
        failures.push({ channel, error: new DeliveryError(`another delivery of ${event.id} is sending it`) });
      continue;
    }
    try {
      await send();
      await deps.marks.markDelivered(tenant.id, event.id, channel);
      deps.log.info("notification delivered", { tenantId: tenant.id, event: event.id, channel });
    } catch (error) {
      await deps.marks.release(tenant.id, event.id, channel).catch(() => undefined);
      failures.push({ channel, error });
    }
  }
  if (failures.length === 0) return;
  for (const { channel, error } of failures) {
    deps.log.warn("notification not delivered", {
      tenantId: tenant.id,
      event: event.id,
      channel,
      final: delivery.final,
      error: error instanceof Error ? error.message : String(error),
    });
    if (delivery.final) {
      deps.metrics.count(METRICS.notificationsUndeliverable, 1, {
        [DIMENSIONS.tenant]: tenant.id,
        [DIMENSIONS.channel]: channel,
      });
    }
  }
  throw failures[0]?.error;
}

/** How long a delivery holds a channel of an event: the notify function's whole time. */
const CLAIM_MS = WORKERS.notify.timeoutSeconds * 1000;

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` with the tenant's signing secret. */
export const signature = (secret: string, timestamp: string, body: string): string =>
  createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");

/** The run's page in the console, or the tenant's for an event about no run. */
export function linkOf(apiUrl: string | undefined, event: NotificationEvent): string | undefined {
  if (!apiUrl) return undefined;
  const base = apiUrl.replace(/\/+$/, "");
  return event.runId
    ? `${base}/console/runs/${encodeURIComponent(event.runId)}`
    : `${base}/console/tenants/${encodeURIComponent(event.tenantId)}`;
}

const TITLES: Record<NotificationEvent["kind"], string> = {
  failed: "run failed",
  partial: "run partial",
  deactivationsHeld: "deactivations held",
  late: "tenant late",
  drift: "drift",
};

/** What the people told should do next, by kind (docs/operations.md's runbook says more). */
function whatToDo(event: NotificationEvent): string {
  const run = event.runId ?? "";
  switch (event.kind) {
    case "failed":
      return "What to do: read the reason in the console; a refused key or login needs the tenant's secret fixed, an outage of Siesa or the product is retried by the next run.";
    case "partial":
      return "What to do: read the rejected and failed records and their reasons in the console, and correct them in Siesa or the tenant's mapping.";
    case "drift":
      return "What to do: the mapping no longer fits the data, or the product no longer holds what was sent: see the run in the console, fix the mapping or the ERP's data, then run again.";
    case "deactivationsHeld":
      return [
        "What to do: ask the ERP team whether these records really left Siesa (the run in the console lists them). If they did, an operator approves their deactivation with the run's Approve in the console, or:",
        `  npm run sync -- --tenant ${event.tenantId} --approve-deactivations-of ${run}`,
        `  or POST /tenants/${event.tenantId}/runs with {"approveDeactivationsOf": "${run}"}`,
        "If they are not, leave them held and fix what hid them in Siesa.",
      ].join("\n");
    case "late":
      return "What to do: see the tenant's last runs in the console; a failing run says why, and a run that never starts points to the schedule or the service's functions.";
  }
}

const subjectOf = (event: NotificationEvent) => `siesa-integration ${event.tenantId}: ${TITLES[event.kind]}`;

function textOf(event: NotificationEvent, link: string | undefined): string {
  const counts = Object.entries(event.counts)
    .map(([name, value]) => `  ${name}: ${value}`)
    .join("\n");
  return [
    `Tenant ${event.tenantId}: ${TITLES[event.kind]}${event.runId ? ` (run ${event.runId})` : ""}.`,
    "",
    event.reason,
    ...(counts ? ["", "Counts:", counts] : []),
    "",
    whatToDo(event),
    ...(link ? ["", `In the console: ${link}`] : []),
    "",
    `Event ${event.id}, raised at ${event.at}.`,
  ].join("\n");
}
