import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { dashboardBody, dashboardName, dashboardUrl } from "./dashboard.js";
import type { ServiceFunction } from "./function.js";
import { METRICS, NAMESPACE, stackSeries } from "./metric-series.js";
import type { QueuePair } from "./pipeline.js";

/** Dead-letter queues and Lambda health are checked over five minutes. */
const HEALTH_PERIOD_SECONDS = 300;

/**
 * The stack's alarms, all sent to one SNS topic (prod subscribes its pager): run failure rate, run
 * duration and API error count with the thresholds of the stack config, any message in a dead-letter
 * queue, and each function's errors and throttles. Plus the overview dashboard. What each alarm means
 * and what to do: docs/operations.md, Runbook (a section per alarm: keep it in step).
 */
export class Observability extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly key: aws.kms.Key;
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly dashboardName: string;
  readonly dashboardUrl: string;

  constructor(
    name: string,
    args: {
      deadLetterQueues: Readonly<Record<string, QueuePair["deadLetter"]>>;
      functions: readonly ServiceFunction[];
      tenantIds: readonly string[];
    },
    context: StackContext,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("siesa-integration:infra:Observability", name, {}, opts);
    const { settings } = context;
    const { alarms: thresholds, stack } = settings;

    // Alarm messages name resources and thresholds: the topic is encrypted with a key of this stack,
    // which CloudWatch may use only for this stack's alarms (it encrypts what it publishes).
    const alarmArns = context.arn("cloudwatch", `alarm:${context.name("*")}`);
    const fromOwnAlarms = {
      StringEquals: { "aws:SourceAccount": settings.accountId },
      ArnLike: { "aws:SourceArn": alarmArns },
    };
    this.key = new aws.kms.Key(
      `${name}/topic-key`,
      {
        description: `Encrypts the SNS topic of the ${stack} stack's alarms`,
        enableKeyRotation: true,
        deletionWindowInDays: settings.dataProtection ? 30 : 7,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              // The default key policy: the account's IAM policies decide who administers the key.
              Sid: "AccountAdministers",
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${settings.accountId}:root` },
              Action: "kms:*",
              Resource: "*",
            },
            {
              Sid: "CloudWatchAlarmsPublish",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              Resource: "*",
              Condition: fromOwnAlarms,
            },
          ],
        }),
        tags: context.tags(),
      },
      { parent: this },
    );
    new aws.kms.Alias(
      `${name}/topic-key-alias`,
      { name: `alias/${context.name("alarms")}`, targetKeyId: this.key.keyId },
      { parent: this },
    );
    this.topic = new aws.sns.Topic(
      `${name}/topic`,
      { name: context.name("alarms"), kmsMasterKeyId: this.key.arn, tags: context.tags() },
      { parent: this },
    );
    new aws.sns.TopicPolicy(
      `${name}/topic-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CloudWatchAlarmsPublish",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: "sns:Publish",
              Resource: this.topic.arn,
              Condition: fromOwnAlarms,
            },
          ],
        }),
      },
      { parent: this },
    );
    settings.alertEndpoints.forEach((endpoint, i) => {
      new aws.sns.TopicSubscription(
        `${name}/alert-${i}`,
        {
          topic: this.topic.arn,
          protocol: "https",
          // A pager URL usually embeds its integration key: keep it out of plain-text state and logs.
          endpoint: pulumi.secret(endpoint),
          // Pager services confirm subscriptions themselves; without this, `pulumi up` would wait for a click.
          endpointAutoConfirms: true,
        },
        { parent: this },
      );
    });

    const alarm = (suffix: string, description: string, args: Partial<aws.cloudwatch.MetricAlarmArgs>) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}/${suffix}`,
        {
          name: context.name(suffix),
          alarmDescription: description,
          comparisonOperator: "GreaterThanThreshold",
          evaluationPeriods: 1,
          treatMissingData: "notBreaching",
          alarmActions: [this.topic.arn],
          okActions: [this.topic.arn],
          tags: context.tags(),
          ...args,
        },
        { parent: this },
      );
      this.alarms.push(created);
      return created;
    };

    const windowSeconds = thresholds.failureRateWindowMinutes * 60;
    const runMetric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: {
        namespace: NAMESPACE,
        metricName,
        dimensions: stackSeries(stack),
        period: windowSeconds,
        stat: "Sum",
      },
    });
    alarm(
      "run-failure-rate",
      `More than ${thresholds.failureRatePercent}% of runs failed within ${thresholds.failureRateWindowMinutes} min`,
      {
        threshold: thresholds.failureRatePercent,
        metricQueries: [
          runMetric("failed", METRICS.runFailed),
          runMetric("finished", METRICS.runFinished),
          {
            id: "rate",
            label: "failed runs (%)",
            expression: "IF(finished > 0, 100 * FILL(failed, 0) / finished, 0)",
            returnData: true,
          },
        ],
      },
    );
    alarm("run-duration", `A run took longer than ${thresholds.runDurationMinutes} min`, {
      namespace: NAMESPACE,
      metricName: METRICS.runDuration,
      dimensions: stackSeries(stack),
      statistic: "Maximum",
      period: HEALTH_PERIOD_SECONDS,
      threshold: thresholds.runDurationMinutes * 60,
    });
    alarm(
      "external-api-errors",
      `More than ${thresholds.errorCount} Siesa or product API errors within ${thresholds.errorWindowMinutes} min`,
      {
        namespace: NAMESPACE,
        metricName: METRICS.apiErrors,
        dimensions: stackSeries(stack),
        statistic: "Sum",
        period: thresholds.errorWindowMinutes * 60,
        threshold: thresholds.errorCount,
      },
    );

    // The API refuses every token 15 minutes after its token list stopped loading (runtime/edges/aws/tokens.ts).
    alarm(
      "api-token-list-reload-failed",
      "The API could not reload its token list (the secret is unreadable or invalid)",
      {
        namespace: NAMESPACE,
        metricName: METRICS.tokenListReloadFailed,
        dimensions: stackSeries(stack),
        statistic: "Sum",
        period: HEALTH_PERIOD_SECONDS,
        threshold: 0,
      },
    );

    // A run that held deactivations for approval, or failed because the mapping no longer fits the
    // data (drift), needs a person; neither is an error of the service itself (docs/architecture.md).
    alarm(
      "deactivations-held",
      "A run found more records gone from Siesa than its tenant's limit and held their deactivation: approve the number or fix the query",
      {
        namespace: NAMESPACE,
        metricName: METRICS.deactivationsHeld,
        dimensions: stackSeries(stack),
        statistic: "Sum",
        period: HEALTH_PERIOD_SECONDS,
        threshold: 0,
      },
    );
    alarm("run-drift", "A run failed as drift: most of its rows were rejected for one reason (see the run)", {
      namespace: NAMESPACE,
      metricName: METRICS.runDrift,
      dimensions: stackSeries(stack),
      statistic: "Sum",
      period: HEALTH_PERIOD_SECONDS,
      threshold: 0,
    });

    // settle counts dead-lettered messages as their units or records failed and removes them, so the
    // queues drain: this alarm says that something reached one; the depth alarms below, that settle
    // itself could not keep up or failed.
    alarm("dead-lettered", "A unit, chunk or sync request exhausted its deliveries (see the run's errors)", {
      namespace: NAMESPACE,
      metricName: METRICS.deadLettered,
      dimensions: stackSeries(stack),
      statistic: "Sum",
      period: HEALTH_PERIOD_SECONDS,
      threshold: 0,
    });

    // A notification that could not be delivered (its message is left in the notifications dead-letter
    // queue), or not even raised (the run went on without it): the people it was for were not told.
    alarm(
      "notifications-undeliverable",
      "A notification could not be delivered to a tenant's email topic or webhook after every retry (see the notifications dead-letter queue)",
      {
        namespace: NAMESPACE,
        metricName: METRICS.notificationsUndeliverable,
        dimensions: stackSeries(stack),
        statistic: "Sum",
        period: HEALTH_PERIOD_SECONDS,
        threshold: 0,
      },
    );
    alarm("notifications-not-raised", "A run ended but its notification could not be queued (see the logs)", {
      namespace: NAMESPACE,
      metricName: METRICS.notificationsNotRaised,
      dimensions: stackSeries(stack),
      statistic: "Sum",
      period: HEALTH_PERIOD_SECONDS,
      threshold: 0,
    });

    for (const [queue, deadLetter] of Object.entries(args.deadLetterQueues)) {
      alarm(`${queue}-dead-letters`, `A message is waiting in the ${queue} dead-letter queue`, {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: deadLetter.name },
        statistic: "Maximum",
        period: HEALTH_PERIOD_SECONDS,
        threshold: 0,
      });
    }

    for (const fn of args.functions) {
      for (const metricName of ["Errors", "Throttles"] as const) {
        alarm(
          `lambda-${fn.fn}-${metricName.toLowerCase()}`,
          `Lambda ${fn.physicalName}: ${metricName.toLowerCase()}`,
          {
            namespace: "AWS/Lambda",
            metricName,
            dimensions: { FunctionName: fn.function.name },
            statistic: "Sum",
            period: HEALTH_PERIOD_SECONDS,
            threshold: 0,
          },
        );
      }
    }

    this.dashboardName = dashboardName(stack);
    this.dashboardUrl = dashboardUrl(settings.region, stack);
    new aws.cloudwatch.Dashboard(
      `${name}/dashboard`,
      {
        dashboardName: this.dashboardName,
        dashboardBody: pulumi.jsonStringify(
          dashboardBody({
            stack,
            region: settings.region,
            tenantIds: args.tenantIds,
            alarmArns: this.alarms.map((a) => a.arn),
          }),
        ),
      },
      { parent: this },
    );

    this.registerOutputs({ dashboardUrl: this.dashboardUrl, topicArn: this.topic.arn });
  }
}
