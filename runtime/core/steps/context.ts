import { createLimiter } from "../domain/pool.js";
import { DEFAULT_STREAM, type StreamName, syncsStream } from "../domain/stream.js";
import { type Tenant, UnknownTenantError } from "../domain/tenant.js";
import type { WorkerDependencies } from "../ports/dependencies.js";
import type { StreamClients } from "../ports/tenant-clients.js";
import { type RecentRuns, recentRuns } from "./recent-run.js";

/** Tenant configuration, credentials and clients are reused for this long inside one container. */
const CLIENTS_TTL_MS = 5 * 60_000;

export interface TenantAndClients {
  tenant: Tenant;
  clients: StreamClients;
}

/** A run of a stream the tenant's file does not declare (its schedule or its file changed since). */
export class StreamNotConfiguredError extends Error {
  override readonly name = "StreamNotConfiguredError";
  constructor(tenantId: string, stream: StreamName) {
    super(`tenant ${tenantId} syncs no ${stream} (streams.${stream} is not in its file)`);
  }
}

/** What every pipeline step works with: the worker dependencies plus per-container caches. */
export interface PipelineContext extends WorkerDependencies {
  /**
   * The tenant and its clients for one of its streams (the catalogue by default), cached per
   * container (keeps Kong's token between invocations).
   */
  tenantClients(tenantId: string, stream?: StreamName): Promise<TenantAndClients>;
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
    tenantClients(tenantId, stream = DEFAULT_STREAM) {
      const id = `${tenantId}#${stream}`;
      const hit = cache.get(id);
      const now = deps.now().getTime();
      if (hit && now - hit.at < CLIENTS_TTL_MS) return hit.value;
      const value = (async () => {
        const tenant = await deps.tenants.get(tenantId);
        if (!tenant) throw new UnknownTenantError(tenantId);
        const credentials = await deps.credentials.forTenant(tenant);
        if (stream === DEFAULT_STREAM) return { tenant, clients: deps.clientsFor(tenant, credentials) };
        if (!syncsStream(tenant, stream)) throw new StreamNotConfiguredError(tenantId, stream);
        return { tenant, clients: deps.streamClientsFor(tenant, credentials, stream) };
      })();
      cache.set(id, { at: now, value });
      value.catch(() => cache.delete(id));
      return value;
    },
  };
}
