import { createLimiter } from "../domain/pool.js";
import { type Tenant, UnknownTenantError } from "../domain/tenant.js";
import type { WorkerDependencies } from "../ports/dependencies.js";
import type { TenantClients } from "../ports/tenant-clients.js";
import { type RecentRuns, recentRuns } from "./recent-run.js";

/** Tenant configuration, credentials and clients are reused for this long inside one container. */
const CLIENTS_TTL_MS = 5 * 60_000;

export interface TenantAndClients {
  tenant: Tenant;
  clients: TenantClients;
}

/** What every pipeline step works with: the worker dependencies plus per-container caches. */
export interface PipelineContext extends WorkerDependencies {
  /** The tenant and its clients, cached per container (keeps Kong's token between invocations). */
  tenantClients(tenantId: string): Promise<TenantAndClients>;
  /** Runs a product write within the tenant's `sync.concurrency` (per container). */
  productSlot<T>(tenant: Tenant, write: () => Promise<T>): Promise<T>;
  /** The run of a unit or chunk, as read up to a second ago in this container (recent-run.ts). */
  recentRun: RecentRuns["recent"];
}

export function createPipelineContext(deps: WorkerDependencies): PipelineContext {
  const cache = new Map<string, { at: number; value: Promise<TenantAndClients> }>();
  const slots = new Map<string, <T>(task: () => Promise<T>) => Promise<T>>();
  const { recent, runs } = recentRuns(deps.runs, () => deps.now().getTime());
  return {
    ...deps,
    runs,
    recentRun: recent,
    productSlot(tenant, write) {
      let slot = slots.get(tenant.id);
      if (!slot) {
        slot = createLimiter(tenant.sync.concurrency);
        slots.set(tenant.id, slot);
      }
      return slot(write);
    },
    tenantClients(tenantId) {
      const hit = cache.get(tenantId);
      const now = deps.now().getTime();
      if (hit && now - hit.at < CLIENTS_TTL_MS) return hit.value;
      const value = (async () => {
        const tenant = await deps.tenants.get(tenantId);
        if (!tenant) throw new UnknownTenantError(tenantId);
        return { tenant, clients: deps.clientsFor(tenant, await deps.credentials.forTenant(tenant)) };
      })();
      cache.set(tenantId, { at: now, value });
      value.catch(() => cache.delete(tenantId));
      return value;
    },
  };
}
