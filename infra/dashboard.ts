import type * as pulumi from "@pulumi/pulumi";
import { DIMENSIONS, METRICS, NAMESPACE, tenantSearch, tenantSeries } from "./metric-series.js";

/** `SiesaIntegration-Overview-<stack>` (one per stack, docs/operations.md). */
export const dashboardName = (stack: string): string => `SiesaIntegration-Overview-${stack}`;

export const dashboardUrl = (region: string, stack: string): string =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${dashboardName(stack)}`;

const PERIOD = 300;
const WIDTH = 24;

interface Widget {
  type: "text" | "metric" | "alarm";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

/**
 * The overview: the stack's alarms on top, then one row per tenant with its success rate, run
 * duration, records processed by outcome and API errors.
 */
export function dashboardBody(args: {
  stack: string;
  region: string;
  tenantIds: readonly string[];
  alarmArns: pulumi.Input<string>[];
}): { widgets: Widget[] } {
  const { stack, region } = args;
  const widgets: Widget[] = [
    {
      type: "text",
      x: 0,
      y: 0,
      width: WIDTH,
      height: 2,
      properties: {
        markdown: `# Siesa integration: ${stack}\nOne row per tenant. Runs, records and API errors come from the workers' EMF metrics (namespace \`${NAMESPACE}\`).`,
      },
    },
    {
      type: "alarm",
      x: 0,
      y: 2,
      width: WIDTH,
      height: 4,
      properties: { title: "Alarms", alarms: args.alarmArns },
    },
  ];
  let y = 6;
  for (const tenantId of args.tenantIds) {
    widgets.push({
      type: "text",
      x: 0,
      y,
      width: WIDTH,
      height: 1,
      properties: { markdown: `## ${tenantId}` },
    });
    y += 1;
    const row = tenantRow(region, tenantId);
    row.forEach((properties, i) => {
      widgets.push({ type: "metric", x: i * 6, y, width: 6, height: 6, properties });
    });
    y += 6;
  }
  return { widgets };
}

function tenantRow(region: string, tenantId: string): Record<string, unknown>[] {
  const dims = Object.entries(tenantSeries(tenantId)).flat();
  const common = { view: "timeSeries", region, period: PERIOD };
  const finished = tenantSearch(METRICS.runFinished, tenantId, [DIMENSIONS.status], "Sum", PERIOD);
  return [
    {
      ...common,
      title: `${tenantId}: run success rate (%)`,
      yAxis: { left: { min: 0, max: 100 } },
      metrics: [
        [{ expression: "100 * FILL(succeeded, 0) / total", label: "succeeded %", id: "rate" }],
        [{ expression: `SUM(${finished})`, id: "total", visible: false }],
        [
          NAMESPACE,
          METRICS.runFinished,
          ...dims,
          DIMENSIONS.status,
          "succeeded",
          { id: "succeeded", stat: "Sum", visible: false },
        ],
      ],
    },
    {
      ...common,
      title: `${tenantId}: run duration (s)`,
      metrics: [
        [NAMESPACE, METRICS.runDuration, ...dims, { stat: "Maximum", label: "longest" }],
        [NAMESPACE, METRICS.runDuration, ...dims, { stat: "Average", label: "average" }],
      ],
    },
    {
      ...common,
      title: `${tenantId}: records processed`,
      stacked: true,
      metrics: (
        [
          [METRICS.recordsCreated, "created"],
          [METRICS.recordsUpdated, "updated"],
          [METRICS.recordsUnchanged, "unchanged"],
          [METRICS.recordsRejected, "rejected"],
          [METRICS.recordsFailed, "failed"],
        ] as const
      ).map(([metric, label]) => [NAMESPACE, metric, ...dims, { stat: "Sum", label }]),
    },
    {
      ...common,
      title: `${tenantId}: records gone from Siesa and back`,
      metrics: (
        [
          [METRICS.recordsDeactivated, "deactivated"],
          [METRICS.recordsReactivated, "reactivated"],
          [METRICS.deactivationsHeld, "held for approval"],
        ] as const
      ).map(([metric, label]) => [NAMESPACE, metric, ...dims, { stat: "Sum", label }]),
    },
    {
      ...common,
      title: `${tenantId}: API errors`,
      stacked: true,
      metrics: [
        [
          {
            expression: tenantSearch(
              METRICS.apiErrors,
              tenantId,
              [DIMENSIONS.api, DIMENSIONS.status],
              "Sum",
              PERIOD,
            ),
            id: "errors",
          },
        ],
      ],
    },
  ];
}
