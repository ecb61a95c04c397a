import { payloadHash } from "../domain/hash.js";
import type { ProductRecord, RecordError, SourceRecord } from "../domain/model.js";
import type { LoadChunk, LoadRecord } from "../ports/messages.js";
import type { AppliedOperation } from "../ports/pipeline.js";
import type { Ledger, RecordMapper } from "../ports/records.js";
import type { PipelineContext } from "./context.js";
import { loadOp } from "./load-chunk.js";

/**
 * A unit's plan of load chunks, stored with its `plan:<unit>` operation by its first delivery, and
 * repeated by every later one (a retry, settle): each chunk's keys in order, comma-joined
 * (`chunks`), and the first chunk's place in the run (`start`). A plan stored before plans named
 * their chunks' keys holds each chunk's size only (`sizes`).
 */
export interface PlannedChunk {
  chunkId: string;
  size: number;
  /** Undefined in a plan that stored sizes only. */
  keys?: string[];
  position?: number;
}

/** What a plan stores of its chunks (placed: each with its position). */
export function planData(chunks: readonly LoadChunk[]): { chunks: string[]; start?: number } {
  const start = chunks[0]?.position;
  return {
    chunks: chunks.map((chunk) => chunk.records.map((r) => r.key).join(",")),
    ...(start !== undefined ? { start } : {}),
  };
}

/** The chunks a unit's plan names, by chunk id `<unitId>/<n>`. */
export function plannedChunks(unitId: string, plan: AppliedOperation | undefined): PlannedChunk[] {
  const data = plan?.data ?? {};
  const chunkId = (i: number) => `${unitId}/${i}`;
  if (Array.isArray(data.chunks)) {
    const start = typeof data.start === "number" ? data.start : undefined;
    return (data.chunks as string[]).map((joined, i) => {
      const keys = joined === "" ? [] : joined.split(",");
      return {
        chunkId: chunkId(i),
        size: keys.length,
        keys,
        ...(start !== undefined ? { position: start + i } : {}),
      };
    });
  }
  const sizes = Array.isArray(data.sizes) ? (data.sizes as number[]) : [];
  return sizes.map((size, i) => ({ chunkId: chunkId(i), size }));
}

/** Why a planned record that Siesa no longer returned on its unit's retry is counted failed. */
export const VANISHED_REASON = "no longer returned by Siesa when its unit was retried; the next run decides";

/** Why a planned record that the mapping refused on its unit's retry is counted failed. */
export const unmappableReason = (reason: string) =>
  `refused by the mapping when its unit was retried (${reason}); the next run decides`;

/**
 * The plan's chunks again, each with exactly the records it named, mapped from what Siesa returns
 * now (`records`): their current payload and hash, and the product id the ledger knows. A named
 * record Siesa no longer returns, or the mapping now refuses, goes in the chunk's `unsent`, counted
 * failed with it. Records Siesa returns that the plan does not name are not part of this run.
 */
export async function repeatChunks(
  { tenantId, runId, partition }: { tenantId: string; runId: string; partition: string },
  planned: readonly PlannedChunk[],
  records: readonly SourceRecord[],
  mapper: RecordMapper,
  ledger: Pick<Ledger, "getMany">,
): Promise<LoadChunk[]> {
  const wanted = new Set(planned.flatMap((chunk) => chunk.keys ?? []));
  const mapped = new Map<string, ProductRecord | { refused: string }>();
  for (const source of records) {
    if (!wanted.has(source.key)) continue;
    const result = mapper.map(source);
    mapped.set(source.key, result.ok ? result.record : { refused: result.reason });
  }
  const known = await ledger.getMany(
    partition,
    [...mapped.entries()].filter(([, m]) => "payload" in m).map(([key]) => key),
  );
  return planned.map(({ chunkId, keys = [], position }) => {
    const chunkRecords: LoadRecord[] = [];
    const unsent: { key: string; reason: string }[] = [];
    for (const key of keys) {
      const found = mapped.get(key);
      if (!found) unsent.push({ key, reason: VANISHED_REASON });
      else if ("refused" in found) unsent.push({ key, reason: unmappableReason(found.refused) });
      else {
        const previous = known.get(key);
        chunkRecords.push({
          key,
          externalId: found.externalId,
          payload: found.payload,
          hash: payloadHash(found.payload),
          ...(previous ? { knownProductId: previous.productId } : {}),
        });
      }
    }
    return {
      tenantId,
      runId,
      chunkId,
      ...(position !== undefined ? { position } : {}),
      records: chunkRecords,
      ...(unsent.length > 0 ? { unsent } : {}),
    };
  });
}

/**
 * Counts failed, for `reason`, each planned chunk that never reported (a chunk that did keeps its
 * count; a copy still in flight then finds its operation taken and counts nothing).
 */
export async function countUnreported(
  ctx: PipelineContext,
  tenantId: string,
  runId: string,
  planned: readonly PlannedChunk[],
  reason: string,
): Promise<void> {
  const counted: RecordError[] = [];
  for (const { chunkId, size, keys } of planned) {
    const op = loadOp(chunkId);
    // A chunk that reported keeps its outcomes (and its exceptions); only the others are failed here.
    if (await ctx.progress.get(tenantId, runId, op)) continue;
    const errors: RecordError[] = keys
      ? keys.map((key) => ({ key, outcome: "failed" as const, reason, step: "load" as const }))
      : [{ key: `chunk ${chunkId} (${size} records)`, outcome: "failed", reason, step: "load" }];
    // Stored before the count: a death after counting leaves them stored.
    await ctx.runs.putExceptions(tenantId, runId, errors);
    if (await ctx.progress.apply(tenantId, runId, op, { loadsDone: 1, failed: size }))
      counted.push(...errors);
  }
  if (counted.length > 0) await ctx.runs.addErrors(tenantId, runId, counted);
}
