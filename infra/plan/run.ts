import * as pulumi from "@pulumi/pulumi";
import siesaIntegration from "../index.js";
import { INTEGRATION_ACCOUNT_ID, REGION } from "../settings.js";
import { awsMocks, type RegisteredResource } from "./mocks.js";
import { readStackConfig } from "./stack-config.js";

export const PROJECT_NAME = "siesa-integration";
const STACK_TYPE = "pulumi:pulumi:Stack";

/** A resource of the plan, with the top-level component it belongs to. */
export interface PlannedResource extends RegisteredResource {
  /** Logical name of the component directly under the stack that owns it ("" for the stack itself). */
  component: string;
  componentType: string;
}

export interface Plan {
  stack: string;
  config: Record<string, string>;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
}

export interface PlanOptions {
  stack: string;
  /** Default: the committed Pulumi.<stack>.yaml. */
  config?: Record<string, string>;
  /** Default: tenants/. */
  tenantsDir?: string;
}

/**
 * Runs the real program (infra/index.ts) under Pulumi's mocks, in preview mode, without building
 * bundles: every resource it registers is recorded with its inputs. Nothing leaves this process.
 * Runs one at a time: Pulumi's runtime state is global.
 */
export async function planStack(options: PlanOptions): Promise<Plan> {
  const config = options.config ?? (await readStackConfig(options.stack));
  const mocks = awsMocks({
    region: config["aws:region"] ?? REGION,
    accountId: firstAccount(config["aws:allowedAccountIds"]) ?? INTEGRATION_ACCOUNT_ID,
  });
  await pulumi.runtime.setMocks(mocks, PROJECT_NAME, options.stack, true);
  pulumi.runtime.setAllConfig(config);
  let outputs: Record<string, unknown> = {};
  try {
    // Called directly rather than inside a Stack resource, which would leave a failing program's
    // error as unhandled rejections; the resources are the same.
    const exported = await siesaIntegration({
      code: "planned",
      ...(options.tenantsDir ? { tenantsDir: options.tenantsDir } : {}),
    });
    outputs = await resolved(exported);
  } finally {
    // Wait until every registration has reached the mocks (and drop the mock monitor).
    await pulumi.runtime.disconnect();
  }
  return { stack: options.stack, config, resources: withComponents(mocks.registered), outputs };
}

/**
 * Components name their children `<component>/<thing>` (tenant ids and AWS names never hold a "/"),
 * so a name's first segment is the top-level component that owns it.
 */
function withComponents(registered: RegisteredResource[]): PlannedResource[] {
  const topLevel = new Map(
    registered
      .filter((r) => !r.custom && r.type !== STACK_TYPE && !r.name.includes("/"))
      .map((c) => [c.name, c]),
  );
  return registered
    .filter((r) => r.type !== STACK_TYPE)
    .map((resource) => {
      const owner = topLevel.get(resource.name.split("/")[0] ?? "");
      if (!owner) {
        throw new Error(
          `${resource.type} "${resource.name}" belongs to no component: name a component's children <component>/<thing>`,
        );
      }
      return { ...resource, component: owner.name, componentType: owner.type };
    });
}

/** The stack outputs with every Output resolved (the mocks know every value). */
function resolved<T extends object>(exported: T): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    pulumi.output(exported).apply((value) => {
      resolve(value as Record<string, unknown>);
      return value;
    });
  });
}

function firstAccount(json: string | undefined): string | undefined {
  if (!json) return undefined;
  try {
    const ids = JSON.parse(json) as unknown;
    return Array.isArray(ids) && ids.length > 0 ? String(ids[0]) : undefined;
  } catch {
    return undefined;
  }
}
