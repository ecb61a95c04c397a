import * as v from "valibot";
import { NOTIFY_KINDS, type NotificationEvent } from "../domain/notification.js";
import type { Tenant } from "../domain/tenant.js";
import type { Log } from "../observability/logger.js";
import type { MetricsSink, RedeliveryControl, TenantDirectory } from "./pipeline.js";

/**
 * Raising and delivering notifications (docs/operations.md, "Notifications"). The steps raise events
 * through a Notifier (the notifications queue in AWS and `npm start`); the notify worker delivers each
 * to the tenant's email topic and webhook, once per event and channel.
 */

export interface Notifier {
  /** Queues the events for delivery. Callers never let it fail or delay a run (raise-events.ts). */
  notify(events: NotificationEvent[]): Promise<void>;
}

/** Where a tenant's webhook is and how its requests are signed: the tenant's `notify` secret. */
export interface WebhookTarget {
  url: string;
  signingSecret: string;
}

export interface NotifySecretSource {
  /** Throws CredentialsError naming the secret and field (never a value) when missing or malformed. */
  webhookOf(tenant: Tenant): Promise<WebhookTarget>;
}

export type NotifyChannel = "email" | "webhook";

/** Sends a tenant's email notification (its SNS topic in AWS; logged by `npm start`). */
export interface EmailChannelPort {
  send(tenantId: string, subject: string, text: string): Promise<void>;
}

/** What a webhook answered: only a 2xx is delivered. */
export interface WebhookAnswer {
  status: number;
}

export interface WebhookChannelPort {
  /** Rejects with a DeliveryError saying why when no answer came (never quoting the URL). */
  post(url: string, body: string, headers: Record<string, string>): Promise<WebhookAnswer>;
}

/** Which channels of which events were delivered: one mark per event and channel, kept for weeks. */
export interface NotificationMarks {
  /**
   * Takes the sending of one event on one channel until `until` (epoch ms), so two copies of the
   * event delivered at once send it once: `delivered` when a delivery marked it so, `busy` while
   * another delivery holds it (until its time is over, `now` past it).
   */
  claim(
    tenantId: string,
    eventId: string,
    channel: NotifyChannel,
    now: number,
    until: number,
  ): Promise<"claimed" | "delivered" | "busy">;
  markDelivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void>;
  /** Gives a claim back after its send failed, so the event's next delivery may take it at once. */
  release(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void>;
}

/** A webhook's answer that is not 2xx, or a request that got none: the delivery is tried again later. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
}

/** What the notify worker talks to. */
export interface NotifyDependencies {
  tenants: TenantDirectory;
  secrets: NotifySecretSource;
  marks: NotificationMarks;
  email: EmailChannelPort;
  webhook: WebhookChannelPort;
  /** The API's URL, for the console link (undefined: the link is left out). */
  apiUrl(): string | undefined;
  log: Log;
  metrics: MetricsSink;
  redelivery: RedeliveryControl;
  retryBaseSeconds: number;
  now(): Date;
}

/** A message of the notifications queue: one event. */
export const NotificationEventSchema = v.object({
  id: v.pipe(v.string(), v.nonEmpty()),
  tenantId: v.pipe(v.string(), v.nonEmpty()),
  kind: v.picklist(NOTIFY_KINDS),
  runId: v.optional(v.string()),
  reason: v.string(),
  counts: v.record(v.string(), v.number()),
  at: v.string(),
});
