import { clientsFor } from "../runtime/compose.js";
import { defaultPolicy } from "../runtime/http/policy.js";
import { logger } from "../runtime/observability/logger.js";
import { oneShotSync } from "../runtime/one-shot.js";
import { openStore } from "../runtime/store/local.js";
import type { Tenant } from "../runtime/tenants/schema.js";
import { spawnSandboxes } from "../sandbox/process.js";

/**
 * `npm run sync`'s path against sandboxes in a child process (the "remote" APIs), with the store
 * wherever AWS_ENDPOINT_URL_DYNAMODB points: what both benchmarks measure as the one-shot run.
 */
export async function oneShotBench(tenant: Tenant, items: number, storePrefix: string) {
  const sandboxes = await spawnSandboxes({ product: tenant.product.type, items, seed: 42 });
  const store = await openStore({ prefix: storePrefix });
  const clients = clientsFor(tenant, sandboxes.credentials, {
    policy: defaultPolicy({ retryAttempts: tenant.sync.retryAttempts }),
    log: logger,
    siesaUrl: sandboxes.siesaUrl,
    productUrl: sandboxes.productUrl,
  });
  return {
    run: oneShotSync(tenant, clients, store),
    close: async () => {
      await store.close();
      await sandboxes.close();
    },
  };
}
