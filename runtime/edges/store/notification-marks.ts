import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { NotificationMarks, NotifyChannel } from "../../core/ports/notifier.js";
import { expiresAt } from "./retention.js";

/**
 * Which channels of which events were delivered, in the runs table under the partition
 * `<tenant>#notified` (`runId: "<eventId>#<channel>"`): the notify worker reads the mark before it
 * sends and puts it after, so a redelivered message, an event raised twice, or a retry after one
 * channel failed sends nothing twice. Marks outlive any redelivery or repeated sweep by far.
 */
const MARK_DAYS = 35;

const key = (tenantId: string, eventId: string, channel: NotifyChannel) => ({
  tenantId: `${tenantId}#notified`,
  runId: `${eventId}#${channel}`,
});

export class DynamoNotificationMarks implements NotificationMarks {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async delivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<boolean> {
    const answer = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: key(tenantId, eventId, channel), ConsistentRead: true }),
    );
    return answer.Item !== undefined;
  }

  async markDelivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void> {
    const now = this.now();
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...key(tenantId, eventId, channel),
          at: now.toISOString(),
          expiresAt: expiresAt(now, MARK_DAYS),
        },
      }),
    );
  }
}

export class MemoryNotificationMarks implements NotificationMarks {
  readonly marks = new Set<string>();

  async delivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<boolean> {
    return this.marks.has(JSON.stringify(key(tenantId, eventId, channel)));
  }

  async markDelivered(tenantId: string, eventId: string, channel: NotifyChannel): Promise<void> {
    this.marks.add(JSON.stringify(key(tenantId, eventId, channel)));
  }
}
