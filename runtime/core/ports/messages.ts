import * as v from "valibot";
import { STREAMS, type StreamName } from "../domain/stream.js";

/**
 * The bodies of the pipeline's SQS messages. Each worker parses its input with these schemas, so a
 * malformed message fails with the field named instead of half-running.
 */

const TenantId = v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$/, "must be a tenant id"));
const RunId = v.pipe(v.string(), v.minLength(1), v.maxLength(80));

/** sync-requests: from EventBridge Scheduler (`{"tenantId","trigger":"schedule"}`), the API or a retry. */
export const SyncRequestSchema = v.object({
  tenantId: TenantId,
  trigger: v.picklist(["schedule", "manual", "cli", "retry", "repair", "verify"]),
  /** Set by the API, which creates the run (and takes the lease) before it answers 202. */
  runId: v.optional(RunId),
  /** The stream to sync (its schedule names it); absent: the catalogue. */
  stream: v.optional(v.picklist(STREAMS)),
});
export type SyncRequest = v.InferOutput<typeof SyncRequestSchema>;

/** verify-requests: a verify run the API created (it holds the tenant's lease), for the verify worker. */
export const VerifyRequestSchema = v.object({
  tenantId: TenantId,
  runId: RunId,
  /** Mark what differs in the ledger and start a run with trigger `repair` that rewrites it. */
  repair: v.boolean(),
  /**
   * The stream to verify (its lease, its ledger partition, its records in the product); absent: the
   * catalogue. Not stock: its target is this service's own snapshot, nothing in a product.
   */
  stream: v.optional(v.picklist(["catalogue", "warehouses"] as const satisfies readonly StreamName[])),
});
export type VerifyRequest = v.InferOutput<typeof VerifyRequestSchema>;

/** units: one unit of Siesa work, a range of item ids [from, to). */
export const ExtractUnitSchema = v.object({
  tenantId: TenantId,
  runId: RunId,
  /** "0" for the whole id space; a split unit's children are "<parent>.<i>". */
  unitId: v.pipe(v.string(), v.regex(/^\d+(\.\d+)*$/, "must be a unit id like 0.3.1")),
  /** `expected` is the splitter's size estimate for the range (it only tunes further splits). */
  range: v.object({
    from: v.number(),
    to: v.number(),
    expected: v.optional(v.number()),
    within: v.optional(v.pipe(v.string(), v.minLength(1))),
    /** Where its leaves begin, cut on the rows the stream's last complete run read (KeyRange). */
    cuts: v.optional(v.array(v.number())),
  }),
  /**
   * Sent again by a retry of its sender (or by settle): a copy that arrives after FIFO's
   * deduplication window is a first delivery, yet an earlier copy may have planned or split it.
   */
  resent: v.optional(v.literal(true)),
});
export type ExtractUnit = v.InferOutput<typeof ExtractUnitSchema>;

/**
 * units: the run's deactivation pass (deactivate.ts), sent by whichever step finds every unit and
 * load of the run done. Handled by the extract worker: confirming an absence asks Siesa, and only
 * extract holds the tenant's Siesa credentials.
 */
export const DeactivationPassSchema = v.object({
  tenantId: TenantId,
  runId: RunId,
  pass: v.literal("deactivation"),
});
export type DeactivationPass = v.InferOutput<typeof DeactivationPassSchema>;

/** Everything the units queue carries: a unit of Siesa work, or the run's deactivation pass. */
export const ExtractMessageSchema = v.union([DeactivationPassSchema, ExtractUnitSchema]);
export type ExtractMessage = v.InferOutput<typeof ExtractMessageSchema>;

/**
 * One new or changed record to write to the product, or (`action: "deactivate"`) one record absent
 * from a complete extraction to set inactive: then `payload` is the mapping's inactive fields only,
 * `hash` the ledger's, and `knownProductId` the record to patch.
 */
export const LoadRecordSchema = v.object({
  key: v.pipe(v.string(), v.minLength(1)),
  externalId: v.pipe(v.string(), v.minLength(1)),
  payload: v.record(v.string(), v.unknown()),
  hash: v.string(),
  /** The product id the ledger remembers, when the record was written before. */
  knownProductId: v.optional(v.string()),
  action: v.optional(v.literal("deactivate")),
  /** The item's reference, named in its exception should the write fail. */
  reference: v.optional(v.string()),
});
export type LoadRecord = v.InferOutput<typeof LoadRecordSchema>;

/**
 * loads: the new or changed records of one unit (up to LOAD_CHUNK_RECORDS of them), counted as one
 * operation: an extract unit's records always make the same chunks, so a redelivered or re-sent
 * chunk is recognised by its id.
 */
const LoadChunkFields = v.object({
  tenantId: TenantId,
  runId: RunId,
  /** `<unitId>/<n>`, or `deactivate/<n>` for the deactivation pass's chunks. */
  chunkId: v.pipe(
    v.string(),
    v.regex(/^(\d+(\.\d+)*|deactivate)\/\d+$/, "must be a chunk id like 0.3/0 or deactivate/0"),
  ),
  /**
   * The chunk's position in the run's sequence of load chunks: its message group is `position`
   * modulo the tenant's concurrency.
   */
  position: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  records: v.array(LoadRecordSchema),
  /**
   * Records the unit's plan named for this chunk that its retry could not send (Siesa no longer
   * returned them, or the mapping refused them then): counted failed with the chunk, for `reason`.
   * Absent from the chunks of a unit's first delivery.
   */
  unsent: v.optional(v.array(v.object({ key: v.pipe(v.string(), v.minLength(1)), reason: v.string() }))),
});
export const LoadChunkSchema = v.pipe(
  LoadChunkFields,
  v.check(
    (chunk) => chunk.records.length + (chunk.unsent?.length ?? 0) > 0,
    "must name at least one record (in records or unsent)",
  ),
);
export type LoadChunk = v.InferOutput<typeof LoadChunkSchema>;

export class MessageFormatError extends Error {
  override readonly name = "MessageFormatError";
}

/** Parses a message body or throws an error naming the queue and each bad field. */
export function parseMessage<S extends v.GenericSchema>(
  schema: S,
  body: string,
  queue: string,
): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MessageFormatError(`${queue} message is not JSON`);
  }
  const result = v.safeParse(schema, json);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? "(body)"}: ${issue.message}`);
  throw new MessageFormatError(`${queue} message is invalid: ${problems.join("; ")}`);
}
