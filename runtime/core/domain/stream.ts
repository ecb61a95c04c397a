/**
 * A tenant syncs streams of Siesa records: the catalogue (items and barcodes, into the product's
 * SKUs), its warehouses (into the product's locations) and expected stock per item and warehouse
 * (kept here as a snapshot: no product publishes a stock API yet). Every stream runs through the
 * same pipeline (units, loads, the deactivation pass, the end of the run); what differs is declared
 * here and in the stream's module (runtime/core/streams/).
 */

export const STREAMS = ["catalogue", "warehouses", "stock"] as const;
export type StreamName = (typeof STREAMS)[number];

/** Runs, messages and schedules that name no stream are the catalogue's (as before streams). */
export const DEFAULT_STREAM = "catalogue" satisfies StreamName;

/** The streams beside the catalogue, each declared in a tenant file's `streams`. */
export type OtherStream = Exclude<StreamName, typeof DEFAULT_STREAM>;

export const isStreamName = (value: unknown): value is StreamName =>
  typeof value === "string" && (STREAMS as readonly string[]).includes(value);

/** The stream a run or message belongs to. */
export const streamOf = (holder: { stream?: StreamName }): StreamName => holder.stream ?? DEFAULT_STREAM;

/**
 * What a stream's lease, ledger and schedule are keyed by. The catalogue keeps the bare tenant id,
 * so the ledgers and leases deployed before streams stay where they are; tenant ids never hold `#`.
 */
export const streamScope = (tenantId: string, stream: StreamName): string =>
  stream === DEFAULT_STREAM ? tenantId : `${tenantId}#${stream}`;

/** The tenant and stream of a scope `streamScope` made. */
export function parseScope(scope: string): { tenantId: string; stream: StreamName } {
  const at = scope.indexOf("#");
  if (at < 0) return { tenantId: scope, stream: DEFAULT_STREAM };
  const stream = scope.slice(at + 1);
  if (!isStreamName(stream)) throw new Error(`scope ${JSON.stringify(scope)} names no stream`);
  return { tenantId: scope.slice(0, at), stream };
}

/** The `stream` field of a run, message or request: absent for the catalogue. */
export const streamField = (stream: StreamName): { stream?: StreamName } =>
  stream === DEFAULT_STREAM ? {} : { stream };

/** The scope of a run (its lease and its ledger partition). */
export const scopeOfRun = (run: { tenantId: string; stream?: StreamName }): string =>
  streamScope(run.tenantId, streamOf(run));

/** Whether the tenant syncs this stream: the catalogue always, another when its file declares it. */
export const syncsStream = (
  tenant: { streams?: Partial<Record<OtherStream, unknown>> },
  stream: StreamName,
): boolean => stream === DEFAULT_STREAM || tenant.streams?.[stream] !== undefined;

/** The streams a tenant's file declares beside the catalogue. */
export const otherStreamsOf = (tenant: { streams?: Partial<Record<OtherStream, unknown>> }): OtherStream[] =>
  STREAMS.filter((stream): stream is OtherStream => stream !== DEFAULT_STREAM && syncsStream(tenant, stream));

/** The streams a tenant runs: the catalogue, and those its file declares. */
export const streamsOf = (tenant: { streams?: Partial<Record<OtherStream, unknown>> }): StreamName[] => [
  DEFAULT_STREAM,
  ...otherStreamsOf(tenant),
];

/** The schedule expression of one of the tenant's streams (the catalogue's is `sync.schedule`). */
export function scheduleOf(
  tenant: {
    id: string;
    sync: { schedule: string };
    streams?: Partial<Record<OtherStream, { schedule: string }>>;
  },
  stream: StreamName,
): string {
  const schedule = stream === DEFAULT_STREAM ? tenant.sync.schedule : tenant.streams?.[stream]?.schedule;
  if (schedule === undefined) throw new Error(`tenant ${tenant.id} syncs no ${stream} (streams.${stream})`);
  return schedule;
}

/**
 * Why the tenant may not sync this stream yet, or undefined. A WMS tenant's warehouses: the WMS
 * documents no locations API, the location client writes to an assumed one (its sandbox implements
 * the assumption) and the probe cannot check it, so nothing is written there until the tenant's
 * file records who confirmed it (`streams.warehouses.locationsConfirmed`).
 */
export function streamRefusal(
  tenant: {
    id: string;
    product: { type: string };
    streams?: { warehouses?: { locationsConfirmed?: string } };
  },
  stream: StreamName,
): string | undefined {
  if (stream !== "warehouses" || tenant.product.type !== "wms") return undefined;
  if (tenant.streams?.warehouses?.locationsConfirmed !== undefined) return undefined;
  return `tenant ${tenant.id} may not sync its warehouses yet: the WMS publishes no locations API, the one its location client writes to (POST /locations) is assumed, and no one has confirmed it; once the WMS team has, record who and when in streams.warehouses.locationsConfirmed of its file`;
}

/** The tenant's streams beside the catalogue that it may sync now (streamRefusal): those a schedule may run. */
export const runnableOtherStreamsOf = (tenant: Parameters<typeof streamRefusal>[0]): OtherStream[] =>
  otherStreamsOf(tenant).filter((stream) => streamRefusal(tenant, stream) === undefined);
