import * as pulumi from "@pulumi/pulumi";
import { QUEUES, type QueueName } from "../runtime/core/domain/pipeline-config.js";
import { scheduleGroupName } from "../runtime/core/domain/resource-names.js";
import { loadTenants } from "../runtime/wiring/tenant-registry.js";
import { Api } from "./api.js";
import { buildBundles, codeArchive } from "./bundles.js";
import { stackContext } from "./context.js";
import { Observability } from "./observability.js";
import { Pipeline } from "./pipeline.js";
import { Scheduling } from "./scheduling.js";
import { parseStackSettings } from "./settings.js";
import { Storage } from "./storage.js";
import { TenantResources } from "./tenant.js";

export interface ProgramOptions {
  /** Where the tenant files are (default: tenants/); tests point it at a copy with one more tenant. */
  tenantsDir?: string;
  /**
   * "build" (what `pulumi up` and `pulumi preview` do): bundle every function with esbuild first.
   * "planned": name the bundle files without building them, for runs under Pulumi's mocks.
   */
  code?: "build" | "planned";
}

/**
 * The whole system (docs/architecture.md) in one stack: validated config, the tenants of the stack's
 * environment, then one component per concept. Pulumi calls this default export and publishes
 * what it returns as the stack outputs.
 */
export default async function siesaIntegration(options: ProgramOptions = {}) {
  const settings = parseStackSettings(pulumi.getStack(), pulumi.runtime.allConfig());
  const context = stackContext(settings);
  const registry = await loadTenants(options.tenantsDir ? { dir: options.tenantsDir } : {});
  const tenants = registry.forEnvironment(settings.environment);
  if ((options.code ?? "build") === "build") await buildBundles();

  const storage = new Storage("storage", context);
  // notify's console links need the API's URL, and the API needs the pipeline's queues: notify gets
  // the URL once the API exists.
  const apiUrl = later<string>();
  const pipeline = new Pipeline("pipeline", { storage, code: codeArchive, apiUrl: apiUrl.output }, context);
  const scheduling = new Scheduling(
    "scheduling",
    { syncRequests: pipeline.queues.syncRequests, sweeper: pipeline.workers.settle.function },
    context,
  );
  const api = new Api("api", { storage, pipeline, scheduling, code: codeArchive }, context);
  apiUrl.resolve(api.url);
  const tenantResources = tenants.map(
    (tenant) => new TenantResources(`tenant-${tenant.id}`, { tenant, scheduling, storage }, context),
  );
  const queueKeys = Object.keys(QUEUES) as QueueName[];
  const observability = new Observability(
    "observability",
    {
      deadLetterQueues: Object.fromEntries(
        queueKeys.map((key) => [QUEUES[key].suffix.replace(/\.fifo$/, ""), pipeline.queues[key].deadLetter]),
      ),
      functions: [...Object.values(pipeline.workers), api.handler],
      tenantIds: tenants.map((tenant) => tenant.id),
    },
    context,
  );

  return {
    environment: settings.environment,
    apiUrl: api.url,
    tables: storage.names,
    queues: Object.fromEntries(queueKeys.map((key) => [key, pipeline.queues[key].queue.url])),
    deadLetterQueues: Object.fromEntries(queueKeys.map((key) => [key, pipeline.queues[key].deadLetter.url])),
    dashboardUrl: observability.dashboardUrl,
    alarmTopicArn: observability.topic.arn,
    scheduleGroup: scheduleGroupName(settings.stack),
    schedules: Object.fromEntries(tenantResources.map((t) => [t.tenantId, t.scheduleName])),
  };
}

/** An output whose value is given after the resources that read it are declared. */
function later<T>(): { output: pulumi.Output<T>; resolve(value: pulumi.Output<T>): void } {
  let resolve!: (value: pulumi.Output<T>) => void;
  const value = new Promise<pulumi.Output<T>>((r) => {
    resolve = r;
  });
  return { output: pulumi.output(value) as pulumi.Output<T>, resolve };
}
