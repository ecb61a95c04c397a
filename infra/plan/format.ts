import path from "node:path";
import type { FunctionName } from "../access.js";
import { bundleFile } from "../bundles.js";
import { REPOSITORY_ROOT } from "../repository.js";
import type { Plan, PlannedResource } from "./run.js";

/**
 * The plan as text, for people and for `git diff`: components in a fixed order, resources sorted by
 * name, one `key: value` line per input that matters in review. Nothing in it depends on time or on
 * registration order, so it only changes when the infrastructure does.
 */

const COMPONENT_ORDER = ["Storage", "Pipeline", "Scheduling", "Api", "Tenant", "Observability"];
/** What Pulumi substitutes for a value not known before deploy. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Pulumi's marker of a secret value in serialized inputs. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

type Lines = [string, string][];

export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  const environment = plan.config["siesa-integration:environment"] ?? "?";
  const region = plan.config["aws:region"] ?? "?";
  out.push(
    `Plan of stack ${plan.stack} (environment ${environment}, ${region}): the real program under Pulumi mocks, nothing deployed.`,
    "",
  );

  const components = plan.resources.filter((r) => !r.custom && r.name === r.component).sort(byComponentOrder);
  for (const component of components) {
    const members = plan.resources
      .filter((r) => r.component === component.name && r !== component)
      .sort((a, b) => compare(a.name, b.name) || compare(a.type, b.type));
    const cloud = members.filter((r) => r.custom);
    out.push(`${shortType(component.type)} "${component.name}" (${cloud.length} resources)`);
    for (const resource of members) {
      out.push(
        resource.custom
          ? `  + ${resource.type}  ${resource.name}`
          : `  ${shortType(resource.type)} component  ${resource.name}`,
      );
      for (const [key, value] of describe(resource)) out.push(`      ${key}: ${value}`);
    }
    out.push("");
  }

  const cloud = plan.resources.filter((r) => r.custom);
  const perComponent = components
    .map((c) => `${c.name} ${cloud.filter((r) => r.component === c.name).length}`)
    .join(", ");
  out.push(`Total: ${cloud.length} AWS resources in ${components.length} components (${perComponent})`);
  return `${out.join("\n")}\n`;
}

/** A table's key attribute, with its type when it is not a string. */
function keyName(inputs: Record<string, unknown>, name: unknown): string {
  const attribute = list(inputs.attributes).find((a) => a.name === name);
  return attribute?.type === "N" ? `${text(name)}: number` : text(name);
}

function describe(resource: PlannedResource): Lines {
  const i = resource.inputs;
  switch (resource.type) {
    case "aws:dynamodb/table:Table":
      return [
        ["name", text(i.name)],
        ["billing", text(i.billingMode)],
        [
          "keys",
          [i.hashKey && `${keyName(i, i.hashKey)} (hash)`, i.rangeKey && `${keyName(i, i.rangeKey)} (range)`]
            .filter(Boolean)
            .join(", "),
        ],
        ...list(i.globalSecondaryIndexes).map((gsi): [string, string] => [
          "index",
          `${text(gsi.name)}: ${list(gsi.keySchemas)
            .map((k) => `${text(k.attributeName)} (${text(k.keyType).toLowerCase()})`)
            .join(", ")}, projection ${text(gsi.projectionType)}`,
        ]),
        ["ttl", record(i.ttl).enabled ? text(record(i.ttl).attributeName) : "off"],
        ["encryption", record(i.serverSideEncryption).enabled ? "AWS managed KMS key" : "AWS owned key"],
        ["pointInTimeRecovery", onOff(record(i.pointInTimeRecovery).enabled)],
        ["deletionProtection", onOff(i.deletionProtectionEnabled)],
      ];
    case "aws:sqs/queue:Queue": {
      const redrive = i.redrivePolicy ? record(JSON.parse(text(i.redrivePolicy))) : undefined;
      return [
        ["name", text(i.name)],
        ...(i.fifoQueue ? ([["fifo", "yes"]] as Lines) : []),
        ...(i.visibilityTimeoutSeconds !== undefined
          ? ([["visibilityTimeout", `${text(i.visibilityTimeoutSeconds)} s`]] as Lines)
          : []),
        ["retention", `${Number(i.messageRetentionSeconds) / 86_400} days`],
        ...(redrive
          ? ([
              [
                "redrive",
                `after ${text(redrive.maxReceiveCount)} receives to ${lastPart(redrive.deadLetterTargetArn)}`,
              ],
            ] as Lines)
          : []),
        ["encryption", i.sqsManagedSseEnabled ? "SQS managed" : "none"],
      ];
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return [
        ["name", text(i.name)],
        ["retention", `${text(i.retentionInDays)} days`],
      ];
    case "aws:iam/role:Role": {
      const trust = list(record(JSON.parse(text(i.assumeRolePolicy))).Statement);
      return [
        ["name", text(i.name)],
        ...trust.map((s): [string, string] => [
          "assumedBy",
          `${text(record(s.Principal).Service)}${conditionText(s.Condition)}`,
        ]),
      ];
    }
    case "aws:iam/rolePolicy:RolePolicy": {
      const statements = list(record(JSON.parse(text(i.policy))).Statement);
      return [
        ["name", text(i.name)],
        ["role", text(i.role)],
        ...statements.map((s): [string, string] => [
          `allow ${text(s.Sid)}`,
          `${list(s.Action).join(", ")} on ${list(s.Resource).join(", ")}${conditionText(s.Condition)}`,
        ]),
      ];
    }
    case "aws:lambda/function:Function": {
      const fn = text(record(i.tags).function) as FunctionName;
      const variables = record(record(i.environment).variables);
      return [
        ["name", text(i.name)],
        ["runtime", `${text(i.runtime)} ${list(i.architectures).join(",")}, handler ${text(i.handler)}`],
        ["memory", `${text(i.memorySize)} MB`],
        ["timeout", `${text(i.timeout)} s`],
        ["reservedConcurrency", text(i.reservedConcurrentExecutions)],
        ["code", path.relative(REPOSITORY_ROOT, bundleFile(fn))],
        ["role", lastPart(i.role)],
        ["logGroup", text(record(i.loggingConfig).logGroup)],
        ...Object.keys(variables)
          .sort()
          .map((key): [string, string] => [`env ${key}`, text(variables[key])]),
      ];
    }
    case "aws:lambda/eventSourceMapping:EventSourceMapping": {
      const scaling = record(i.scalingConfig);
      return [
        ["from", lastPart(i.eventSourceArn)],
        ["to", lastPart(i.functionName)],
        ["batchSize", text(i.batchSize)],
        [
          "batchingWindow",
          i.maximumBatchingWindowInSeconds === undefined
            ? "none"
            : `${text(i.maximumBatchingWindowInSeconds)} s`,
        ],
        ["maximumConcurrency", text(scaling.maximumConcurrency)],
        ["responseTypes", list(i.functionResponseTypes).join(", ")],
      ];
    }
    case "aws:scheduler/schedule:Schedule": {
      const target = record(i.target);
      const window = record(i.flexibleTimeWindow);
      const retry = record(target.retryPolicy);
      return [
        ["name", text(i.name)],
        ["group", text(i.groupName)],
        ["expression", `${text(i.scheduleExpression)} (${text(i.scheduleExpressionTimezone)})`],
        // A tenant's schedule is created paused; after that its state is the API's (infra/tenant.ts).
        ...(i.state === undefined
          ? []
          : [["created", i.state === "DISABLED" ? "paused" : text(i.state)] as [string, string]]),
        [
          "window",
          window.mode === "FLEXIBLE" ? `flexible, ${text(window.maximumWindowInMinutes)} min` : "off",
        ],
        ["target", lastPart(target.arn)],
        ["input", text(target.input)],
        ["role", lastPart(target.roleArn)],
        [
          "retry",
          `${text(retry.maximumRetryAttempts)} attempts within ${text(retry.maximumEventAgeInSeconds)} s`,
        ],
        ["deadLetter", lastPart(record(target.deadLetterConfig).arn)],
      ];
    }
    case "aws:secretsmanager/secret:Secret":
      return [
        ["name", text(i.name)],
        ["description", text(i.description)],
        ["recoveryWindow", `${text(i.recoveryWindowInDays)} days`],
        ["value", "none: an operator puts it (docs/operations.md, Secrets)"],
      ];
    case "aws:dynamodb/tableItem:TableItem": {
      const item = record(JSON.parse(text(i.item)));
      const fields = Object.fromEntries(Object.entries(item).map(([key, value]) => [key, plain(value)]));
      return [["table", text(i.tableName)], ...fieldLines("", fields)];
    }
    case "aws:apigatewayv2/api:Api":
      return [
        ["name", text(i.name)],
        ["protocol", text(i.protocolType)],
      ];
    case "aws:apigatewayv2/integration:Integration":
      return [
        ["type", `${text(i.integrationType)}, payload ${text(i.payloadFormatVersion)}`],
        ["function", lastPart(text(i.integrationUri).replace(/\/invocations$/, ""))],
      ];
    case "aws:apigatewayv2/route:Route":
      return [["route", text(i.routeKey)]];
    case "aws:apigatewayv2/stage:Stage": {
      const throttle = record(i.defaultRouteSettings);
      return [
        ["name", text(i.name)],
        [
          "throttling",
          `${text(throttle.throttlingRateLimit)} req/s, burst ${text(throttle.throttlingBurstLimit)}`,
        ],
        ...list(i.routeSettings).map((r): [string, string] => [
          `throttling ${text(r.routeKey)}`,
          `${text(r.throttlingRateLimit)} req/s, burst ${text(r.throttlingBurstLimit)}`,
        ]),
        ["accessLogs", lastPart(record(i.accessLogSettings).destinationArn)],
      ];
    }
    case "aws:lambda/permission:Permission":
      return [
        ["allow", `${text(i.principal)} to ${text(i.action)} ${text(i.function)}`],
        ["source", text(i.sourceArn)],
      ];
    case "aws:sns/topic:Topic":
      return [
        ["name", text(i.name)],
        ["encryption", i.kmsMasterKeyId ? `KMS key ${lastPart(i.kmsMasterKeyId)}` : "none"],
      ];
    case "aws:sns/topicPolicy:TopicPolicy":
      return [["topic", lastPart(i.arn)], ...policyLines(i.policy)];
    case "aws:kms/key:Key":
      return [
        ["description", text(i.description)],
        ["rotation", onOff(i.enableKeyRotation)],
        ["deletionWindow", `${text(i.deletionWindowInDays)} days`],
        ...policyLines(i.policy),
      ];
    case "aws:sns/topicSubscription:TopicSubscription":
      return [
        ["topic", lastPart(i.topic)],
        ["endpoint", `${text(i.protocol)} ${text(i.endpoint)}`],
      ];
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return [
        ["name", text(i.name)],
        ["when", alarmCondition(i)],
        ["notifies", list(i.alarmActions).map(lastPart).join(", ")],
      ];
    case "aws:cloudwatch/dashboard:Dashboard": {
      const widgets = list(record(JSON.parse(text(i.dashboardBody))).widgets);
      const rows = widgets
        .filter((w) => w.type === "text" && String(record(w.properties).markdown).startsWith("## "))
        .map((w) => String(record(w.properties).markdown).slice(3));
      return [
        ["name", text(i.dashboardName)],
        ["widgets", String(widgets.length)],
        ["tenantRows", rows.join(", ") || "none"],
      ];
    }
    case "aws:scheduler/scheduleGroup:ScheduleGroup":
      return [["name", text(i.name)]];
    default:
      return Object.entries(i)
        .filter(([key, value]) => key !== "tags" && (typeof value !== "object" || value === null))
        .map(([key, value]): [string, string] => [key, text(value)]);
  }
}

/** One line per statement of a resource policy: who may do what, under which condition. */
function policyLines(policy: unknown): Lines {
  return list(record(JSON.parse(text(policy))).Statement).map((s): [string, string] => [
    `allow ${text(s.Sid)}`,
    `${text(s.Principal)}: ${[s.Action].flat().join(", ")}${conditionText(s.Condition)}`,
  ]);
}

function alarmCondition(i: Record<string, unknown>): string {
  const threshold = `> ${text(i.threshold)}`;
  if (i.metricQueries) {
    const queries = list(i.metricQueries);
    const watched = queries.find((q) => q.returnData);
    const inputs = queries
      .filter((q) => !q.returnData)
      .map((q) => `${text(q.id)} = ${metricText(record(q.metric))}`)
      .join("; ");
    return `${text(watched?.expression)} ${threshold} (${inputs})`;
  }
  return `${metricText({ namespace: i.namespace, metricName: i.metricName, dimensions: i.dimensions, stat: i.statistic, period: i.period })} ${threshold}, ${text(i.evaluationPeriods)} period(s)`;
}

function metricText(m: Record<string, unknown>): string {
  const dimensions = Object.entries(record(m.dimensions))
    .map(([key, value]) => `${key}=${text(value)}`)
    .join(",");
  return `${text(m.stat)} of ${text(m.namespace)}/${text(m.metricName)} {${dimensions}} per ${text(m.period)} s`;
}

/**
 * An item's fields one per line, nested objects as dotted paths (`config.siesa.companyId: 8585`), so
 * a one-field change of a tenant file reads as one changed line in review.
 */
function fieldLines(prefix: string, value: unknown): [string, string][] {
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.keys(value).length === 0)
    return [[prefix, JSON.stringify(value)]];
  return Object.entries(value).flatMap(([key, inner]) =>
    fieldLines(prefix ? `${prefix}.${key}` : key, inner),
  );
}

const conditionText = (condition: unknown): string => (condition ? ` if ${JSON.stringify(condition)}` : "");

/** A value as plain text: secrets masked, unknowns named. */
function text(value: unknown): string {
  if (value === undefined || value === null) return "-";
  if (value === UNKNOWN) return "(known after deploy)";
  if (typeof value === "object" && Object.values(value).includes(SECRET_SIG)) return "[secret]";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The resource name at the end of an ARN (`…:queue-name`, `…/role-name`). */
function lastPart(arn: unknown): string {
  const value = text(arn);
  return value.split(/[:/]/).filter(Boolean).pop() ?? value;
}

/** DynamoDB attribute-value JSON back to plain data. */
function plain(value: unknown): unknown {
  const v = record(value);
  if ("S" in v) return v.S;
  if ("N" in v) return Number(v.N);
  if ("BOOL" in v) return v.BOOL;
  if ("NULL" in v) return null;
  if ("L" in v) return list(v.L).map(plain);
  if ("M" in v) return Object.fromEntries(Object.entries(record(v.M)).map(([k, f]) => [k, plain(f)]));
  return value;
}

const onOff = (value: unknown) => (value ? "on" : "off");
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
const list = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
const shortType = (type: string) => type.split(":").pop() ?? type;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function byComponentOrder(a: PlannedResource, b: PlannedResource): number {
  const rank = (r: PlannedResource) => {
    const index = COMPONENT_ORDER.indexOf(shortType(r.type));
    return index === -1 ? COMPONENT_ORDER.length : index;
  };
  return rank(a) - rank(b) || compare(a.name, b.name);
}
