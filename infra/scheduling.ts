import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SWEEP_EVERY_MINUTES } from "../runtime/core/domain/pipeline-config.js";
import { scheduleGroupName, scheduleName } from "../runtime/core/domain/resource-names.js";
import type { StackContext } from "./context.js";
import type { QueuePair } from "./pipeline.js";

/**
 * What every tenant's schedule shares: the stack's EventBridge Scheduler group, and the one role
 * the scheduler assumes, which may only send to the sync-requests queue (and, for deliveries that
 * keep failing, to that queue's dead-letter queue, the schedules' DLQ).
 */
export class Scheduling extends pulumi.ComponentResource {
  readonly group: aws.scheduler.ScheduleGroup;
  readonly role: aws.iam.Role;
  readonly target: QueuePair;

  constructor(
    name: string,
    args: { syncRequests: QueuePair; sweeper: aws.lambda.Function },
    context: StackContext,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("siesa-integration:infra:Scheduling", name, {}, opts);
    const { settings } = context;
    this.target = args.syncRequests;

    this.group = new aws.scheduler.ScheduleGroup(
      `${name}/group`,
      { name: scheduleGroupName(settings.stack), tags: context.tags() },
      { parent: this },
    );

    this.role = new aws.iam.Role(
      `${name}/role`,
      {
        name: context.name("scheduler"),
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "scheduler.amazonaws.com" },
              Action: "sts:AssumeRole",
              // Only this stack's schedules may use the role (confused-deputy guard): not another
              // account's, nor another group's in this account (the other stack's).
              Condition: {
                StringEquals: {
                  "aws:SourceAccount": settings.accountId,
                  "aws:SourceArn": context.arn(
                    "scheduler",
                    `schedule-group/${scheduleGroupName(settings.stack)}`,
                  ),
                },
              },
            },
          ],
        }),
        tags: context.tags(),
      },
      { parent: this },
    );

    new aws.iam.RolePolicy(
      `${name}/policy`,
      {
        name: context.name("scheduler-send"),
        role: this.role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "SendSyncRequests",
              Effect: "Allow",
              Action: ["sqs:SendMessage"],
              Resource: [args.syncRequests.queue.arn, args.syncRequests.deadLetter.arn],
            },
            {
              Sid: "InvokeSweeper",
              Effect: "Allow",
              Action: ["lambda:InvokeFunction"],
              Resource: [args.sweeper.arn],
            },
          ],
        }),
      },
      { parent: this },
    );

    // The sweeper ends runs whose lease expired and recounts running ones (runtime/core/steps/settle.ts).
    // Its name cannot be a tenant's: those are `<stack>-sync-<tenant>`.
    new aws.scheduler.Schedule(
      `${name}/sweeper`,
      {
        name: context.name("sweeper"),
        groupName: this.group.name,
        description: "Ends runs whose lease expired; recounts running runs (settle function)",
        scheduleExpression: `rate(${SWEEP_EVERY_MINUTES} minutes)`,
        flexibleTimeWindow: { mode: "OFF" },
        target: { arn: args.sweeper.arn, roleArn: this.role.arn, input: JSON.stringify({ sweep: true }) },
      },
      { parent: this },
    );

    this.registerOutputs({ groupName: this.group.name });
  }
}

/**
 * ARN pattern of every tenant's schedule in this stack's group, of any stream (what the API may pause
 * and resume, and settle read): `<stack>-sync-<tenant>[.<stream>]`, not the sweeper's.
 */
export function tenantSchedulesArnPattern(context: StackContext): string {
  const { stack } = context.settings;
  return context.arn("scheduler", `schedule/${scheduleGroupName(stack)}/${scheduleName(stack, "*")}`);
}
