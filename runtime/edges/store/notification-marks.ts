import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { NOTIFIED_PARTITION_SUFFIX } from "../../core/domain/notification.js";
import type { NotificationMarks, NotifyChannel } from "../../core/ports/notifier.js";
import { expiresAt } from "./retention.js";

/**
 * Which channels of which events were delivered, in the runs table under the partition
 * `<tenant>#notified` (`runId: "<eventId>#<channel>"`): the notify worker claims the mark before it
 * sends (a conditional put: one delivery at a time, while its time lasts) and marks it delivered
 * after, so a redelivered message, an event raised twice (even two copies at once), or a retry after
 * one channel failed sends nothing twice. Marks outlive any redelivery or repeated sweep by far.
 */
const MARK_DAYS = 35;

const key = (tenantId: string, eventId: string, channel: NotifyChannel) => ({
  tenantId: `${tenantId}${NOTIFIED_PARTITION_SUFFIX}`,
  runId: `${eventId}#${channel}`,
});

export class DynamoNotificationMarks implements NotificationMarks {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** One conditional PutItem; a refused one reads the mark to say which (delivered, or busy). */
  async claim(
    tenantId: string,
    eventId: string,
    channel: NotifyChannel,
    now: number,
    until: number,
  ): Promise<"claimed" | "delivered" | "busy"> {
    const Key = key(tenantId, eventId, channel);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...Key, state: "sending", until, expiresAt: expiresAt(this.now(), MARK_DAYS) },
          ConditionExpression: "attribute_not_exists(runId) OR (#state = :sending AND #until <= :now)",
          ExpressionAttributeNames: { "#state": "state", "#until": "until" },
          ExpressionAttributeValues: { ":sending": "sending", ":now": now },
        }),
      );
      return "claimed";
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key, ConsistentRead: true }),
    );
    if (!Item) return "busy"; // expired (TTL) between the two requests: the next delivery takes it
    return Item.state === "sending" ? "busy" : "delivered";
  }

  async markDelivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void> {
    const now = this.now();
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...key(tenantId, eventId, channel),
          state: "delivered",
          at: now.toISOString(),
          expiresAt: expiresAt(now, MARK_DAYS),
        },
      }),
    );
  }

  async release(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...key(tenantId, eventId, channel),
            state: "sending",
            until: 0,
            expiresAt: expiresAt(this.now(), MARK_DAYS),
          },
          // Never over a delivered mark.
          ConditionExpression: "#state = :sending",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":sending": "sending" },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

export class MemoryNotificationMarks implements NotificationMarks {
  readonly marks = new Map<string, { state: "sending"; until: number } | { state: "delivered" }>();

  async claim(
    tenantId: string,
    eventId: string,
    channel: NotifyChannel,
    now: number,
    until: number,
  ): Promise<"claimed" | "delivered" | "busy"> {
    const id = JSON.stringify(key(tenantId, eventId, channel));
    const mark = this.marks.get(id);
    if (mark?.state === "delivered") return "delivered";
    if (mark && mark.until > now) return "busy";
    this.marks.set(id, { state: "sending", until });
    return "claimed";
  }

  async markDelivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void> {
    this.marks.set(JSON.stringify(key(tenantId, eventId, channel)), { state: "delivered" });
  }

  async release(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void> {
    const id = JSON.stringify(key(tenantId, eventId, channel));
    if (this.marks.get(id)?.state === "sending") this.marks.set(id, { state: "sending", until: 0 });
  }
}
