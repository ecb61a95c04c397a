import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { NotificationEvent } from "../../core/domain/notification.js";
import type { EmailChannelPort, Notifier } from "../../core/ports/notifier.js";

/** How long raising a run's events may take: it sits on the run's closing path. */
const RAISE_TIMEOUT_MS = 5_000;

/** Raises events on the notifications queue (the notify worker delivers them). */
export class SqsNotifier implements Notifier {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async notify(events: NotificationEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      const batch = events.slice(i, i + 10);
      const answer = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((event, n) => ({ Id: String(n), MessageBody: JSON.stringify(event) })),
        }),
        { abortSignal: AbortSignal.timeout(RAISE_TIMEOUT_MS) },
      );
      const failed = answer.Failed ?? [];
      if (failed.length > 0) {
        throw new Error(
          `notifications queue refused ${failed.length} of ${batch.length} events (${failed[0]?.Code ?? "error"})`,
        );
      }
    }
  }
}

/** How long an email's publish may take: the notify function's other messages wait for it. */
const PUBLISH_TIMEOUT_MS = 10_000;

/** SNS's longest email subject (it must be shorter than 100 characters). */
const SUBJECT_MAX = 99;

/** Emails through the tenant's SNS topic (`notifyTopicName`): its subscriptions are the tenant's notify.emails. */
export class SnsEmailChannel implements EmailChannelPort {
  constructor(
    private readonly sns: SNSClient,
    /** The topics' ARN but the tenant id. */
    private readonly topicArnPrefix: string,
    /** An SNS that does not answer in this time fails the delivery (retried) rather than hold the function. */
    private readonly timeoutMs = PUBLISH_TIMEOUT_MS,
  ) {}

  async send(tenantId: string, subject: string, text: string): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: `${this.topicArnPrefix}${tenantId}`,
        Subject: subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 1)}…` : subject,
        Message: text,
      }),
      { abortSignal: AbortSignal.timeout(this.timeoutMs) },
    );
  }
}
