import { Hono } from "hono";
import { afterEach } from "vitest";
import { WORKERS } from "../../runtime/core/domain/pipeline-config.js";
import type { Tenant } from "../../runtime/core/domain/tenant.js";
import { defaultPolicy } from "../../runtime/core/ports/call-policy.js";
import type { Ledger } from "../../runtime/core/ports/records.js";
import { VERIFY_POLICY } from "../../runtime/core/verify/verify-run.js";
import { createProductClient } from "../../runtime/edges/http/products/index.js";
import { createApiDependencies } from "../../runtime/wiring/api-dependencies.js";
import { createKongSandbox, type KongSandbox } from "../../sandbox/kong.js";
import { listen, type RunningServer } from "../../sandbox/serve.js";
import { deliver, type StepWorld, stepWorld } from "../pipeline/step-world.js";
import { quietLog } from "../support/log.js";
import { aTenant } from "../tenants/factories.js";

// The verify run on the in-memory ports (test/pipeline/step-world.ts): the API's dependencies and the
// real workers over one store and the step queues, and a Kong sandbox over HTTP whose every
// answer takes `answerMs` of the world's clock, so the functions' time is checked without waiting.

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

export interface VerifyWorld {
  world: StepWorld;
  api: ReturnType<typeof createApiDependencies>;
  kong: KongSandbox;
  tenant: Tenant;
}

export async function verifyWorld(
  options: {
    skus?: number;
    answerMs?: number;
    pageSize?: number;
    baseUrl?: string;
    /** The API's dependencies without the ledger, as its role is (infra/access.ts): a use of it throws. */
    apiWithoutLedger?: boolean;
  } = {},
): Promise<VerifyWorld> {
  let world: StepWorld | undefined;
  const kong = createKongSandbox({
    users: [{ username: "fake", password: "fake" }],
    maxPageSize: options.pageSize ?? 100,
  });
  for (let i = 1; i <= (options.skus ?? 0); i++)
    kong.skus.insert({
      external_id: `SKU-${i}`,
      name: `item ${i}`,
      type_id: 4,
      group_id: 9,
      customer_id: 17,
    });
  const slow = new Hono();
  slow.use("*", async (_c, next) => {
    world?.clock.advance(options.answerMs ?? 0);
    await next();
  });
  slow.route("/", kong.app);
  const server = await listen(slow);
  servers.push(server);

  const base = aTenant();
  // A tenant file refuses http:// outside `local`; the URL is replaced after validation.
  const tenant = { ...base, product: { ...base.product, baseUrl: options.baseUrl ?? `${server.url}/` } };
  // The verify reads the product through the worker's clients: here the real Kong client, under the
  // verify's call policy, against the sandbox.
  const productClient = createProductClient(tenant.product.type, {
    baseUrl: tenant.product.baseUrl,
    endpoints: tenant.product.endpoints,
    credentials: { username: "fake", password: "fake" },
    policy: defaultPolicy(VERIFY_POLICY),
    tenantId: tenant.id,
    log: quietLog,
  });
  world = stepWorld({ tenant, productClient });
  const noLedger: Ledger = {
    getMany: refuse,
    putMany: refuse,
    all: () => ({ [Symbol.asyncIterator]: refuse }),
  };
  const api = createApiDependencies(
    options.apiWithoutLedger ? { ...world.deps, ledger: noLedger } : world.deps,
    {
      schedules: {
        getState: async () => "ENABLED",
        describe: async () => ({ state: "ENABLED" }),
        setState: async () => {},
      },
      tokens: { verify: async () => undefined },
      version: "test",
      probes: {},
    },
  );
  return { world, api, kong, tenant };
}

function refuse(): never {
  throw new Error("the API touched the ledger, which its role may not");
}

/** The verify worker's invocation, as Lambda gives it: `remainingMs` of its time left (default all of it). */
export const deliverVerify = (world: StepWorld, remainingMs = WORKERS.verify.timeoutSeconds * 1000) =>
  deliver(world, "verifyRequests", 1, { getRemainingTimeInMillis: () => remainingMs });

/** POST /tenants/:id/verify's dependency call; throws when it did not start. */
export async function startVerify({ api, tenant }: VerifyWorld, repair = false): Promise<string> {
  const result = await api.verify(tenant.id, { repair });
  if (!result.started) throw new Error(`the verify did not start: ${result.activeRunId} is active`);
  return result.runId;
}
