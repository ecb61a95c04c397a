import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { notifyTopicName, scheduleName, secretName } from "../runtime/core/domain/resource-names.js";
import {
  DEFAULT_STREAM,
  type StreamName,
  scheduleOf,
  streamField,
  streamsOf,
} from "../runtime/core/domain/stream.js";
import type { Tenant } from "../runtime/core/domain/tenant.js";
import type { SyncRequest } from "../runtime/core/ports/messages.js";
import { TABLE_DEFINITIONS } from "../runtime/edges/store/tables.js";
import { type StackContext, TENANT_TAG } from "./context.js";
import { flexibleWindowMinutes } from "./schedule-window.js";
import type { Scheduling } from "./scheduling.js";
import type { Storage } from "./storage.js";
import { tenantItem } from "./tenant-item.js";

/** How long EventBridge keeps retrying a sync request it could not deliver, and how often. */
export const SCHEDULE_RETRY = { maximumEventAgeInSeconds: 15 * 60, maximumRetryAttempts: 3 } as const;

/** The JSON shape an operator puts in each secret (docs/integrations/); keys only, never values. */
export const SECRET_SHAPES: Readonly<Record<"siesa" | Tenant["product"]["type"] | "notify", string>> = {
  siesa: '{"conniKey":"…","conniToken":"…"}',
  notify: '{"webhookUrl":"https://…","signingSecret":"…"}',
  "kong-rfid": '{"username":"…","password":"…"}',
  wms: '{"username":"…","password":"…"}',
};

/**
 * Everything one tenant file adds to its stack, and nothing else: one schedule per stream it syncs
 * (in the stack's group, sending `{"tenantId","trigger":"schedule"}` to sync-requests for the
 * catalogue, with `"stream"` for the others), its two secrets (created
 * empty: an operator puts the values, never this program) and its configuration item in the tenants
 * table, which the API and workers read. Removing the file removes exactly these.
 */
export class TenantResources extends pulumi.ComponentResource {
  /** The catalogue's schedule. */
  readonly schedule: aws.scheduler.Schedule;
  /** Each of the tenant's streams' schedules, by stream (the catalogue's included). */
  readonly schedules: Readonly<Partial<Record<StreamName, aws.scheduler.Schedule>>>;
  readonly secrets: Readonly<Record<"siesa" | "product", aws.secretsmanager.Secret>> & {
    notify?: aws.secretsmanager.Secret;
  };
  /** The email topic of a tenant whose notify lists emails. */
  readonly notifyTopic?: aws.sns.Topic;
  readonly scheduleName: string;
  /** Each stream's schedule name, by stream. */
  readonly scheduleNames: Readonly<Partial<Record<StreamName, string>>>;
  readonly tenantId: string;

  constructor(
    name: string,
    args: { tenant: Tenant; scheduling: Scheduling; storage: Storage },
    context: StackContext,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("siesa-integration:infra:Tenant", name, {}, opts);
    const { tenant, scheduling, storage } = args;
    this.tenantId = tenant.id;
    const { settings } = context;
    const tags = context.tags({ [TENANT_TAG]: tenant.id });

    const schedules: Partial<Record<StreamName, aws.scheduler.Schedule>> = {};
    const names: Partial<Record<StreamName, string>> = {};
    for (const stream of streamsOf(tenant)) {
      const expression = scheduleOf(tenant, stream);
      names[stream] = scheduleName(settings.stack, tenant.id, stream);
      schedules[stream] = this.streamSchedule(name, tenant, stream, expression, scheduling, settings.stack);
    }
    this.schedules = schedules;
    this.scheduleNames = names;
    this.schedule = schedules.catalogue as aws.scheduler.Schedule;
    this.scheduleName = names.catalogue as string;

    const secret = (system: "siesa" | Tenant["product"]["type"] | "notify", purpose: string) =>
      new aws.secretsmanager.Secret(
        `${name}/${system}-secret`,
        {
          name: secretName(tenant.id, system),
          description: `${purpose} of tenant ${tenant.id}: ${SECRET_SHAPES[system]}`,
          recoveryWindowInDays: settings.dataProtection ? 30 : 7,
          tags,
        },
        { parent: this },
      );
    this.secrets = {
      siesa: secret("siesa", "Siesa Connekta credentials"),
      product: secret(tenant.product.type, `${tenant.product.type} credentials`),
      ...(tenant.notify?.webhook ? { notify: secret("notify", "Notification webhook") } : {}),
    };

    // notify.emails, each subscribed to the tenant's topic: AWS mails each address a confirmation
    // link, and nothing reaches it until it is followed (docs/operations.md, "Notifications").
    const emails = tenant.notify?.emails ?? [];
    if (emails.length > 0) {
      const topic = new aws.sns.Topic(
        `${name}/notify-topic`,
        {
          name: notifyTopicName(settings.stack, tenant.id),
          displayName: `siesa-integration ${tenant.id}`,
          kmsMasterKeyId: "alias/aws/sns",
          tags,
        },
        { parent: this },
      );
      for (const email of emails) {
        new aws.sns.TopicSubscription(
          `${name}/notify-${email}`,
          { topic: topic.arn, protocol: "email", endpoint: email },
          { parent: this },
        );
      }
      this.notifyTopic = topic;
    }

    new aws.dynamodb.TableItem(
      `${name}/config`,
      {
        tableName: storage.tables.tenants.name,
        hashKey: TABLE_DEFINITIONS.tenants.hashKey,
        item: tenantItem(tenant),
      },
      { parent: this },
    );

    this.registerOutputs({ scheduleName: this.scheduleName });
  }

  /** One stream's schedule; the catalogue's keeps the resource name it had before streams. */
  private streamSchedule(
    name: string,
    tenant: Tenant,
    stream: StreamName,
    expression: string,
    scheduling: Scheduling,
    stack: string,
  ): aws.scheduler.Schedule {
    const window = flexibleWindowMinutes(expression);
    const request: SyncRequest = { tenantId: tenant.id, trigger: "schedule", ...streamField(stream) };
    const what = stream === DEFAULT_STREAM ? "Sync" : `Sync of the ${stream}`;
    return new aws.scheduler.Schedule(
      stream === DEFAULT_STREAM ? `${name}/schedule` : `${name}/schedule-${stream}`,
      {
        name: scheduleName(stack, tenant.id, stream),
        groupName: scheduling.group.name,
        description: `${what} of tenant ${tenant.id} (tenants/${tenant.id}.ts)`,
        scheduleExpression: expression,
        state: "DISABLED",
        // Tenant cron expressions are written in UTC (runtime/core/domain/schedule.ts).
        scheduleExpressionTimezone: "UTC",
        flexibleTimeWindow:
          window === undefined ? { mode: "OFF" } : { mode: "FLEXIBLE", maximumWindowInMinutes: window },
        target: {
          arn: scheduling.target.queue.arn,
          roleArn: scheduling.role.arn,
          input: JSON.stringify(request),
          retryPolicy: { ...SCHEDULE_RETRY },
          deadLetterConfig: { arn: scheduling.target.deadLetter.arn },
        },
      },
      // Created paused: a new tenant runs once its first probe passes or an operator resumes it
      // (runtime/core/steps/first-probe.ts). From then on the state is the API's (pause, resume), and
      // a deploy must not undo it; an update of the schedule itself re-sends the state Pulumi last
      // read, hence `pulumi up --refresh` (docs/deploy.md).
      { parent: this, ignoreChanges: ["state"] },
    );
  }
}
