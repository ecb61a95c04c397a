import type { ChangedRecord } from "../sync/diff.js";
import type { LoadChunk, LoadRecord } from "./messages.js";
import type { ProgressStore } from "./ports.js";

/**
 * Records per load message. A chunk is written one record at a time (its message group is one of the
 * tenant's concurrency slots), so smaller chunks spread a unit's writes over more slots and shorten
 * the last chunk's tail; larger ones cost fewer progress writes. 25 keeps both near their best.
 */
export const LOAD_CHUNK_RECORDS = 25;
/** A load message's body stays well below SQS's 256 KiB. */
export const LOAD_CHUNK_BYTES = 200 * 1024;

/**
 * The load messages of one unit's changed records: sorted by key and cut by count and size, so the
 * same records always make the same chunks, and a re-sent chunk is the same operation.
 */
export function loadChunks(
  tenantId: string,
  runId: string,
  unitId: string,
  changed: readonly ChangedRecord[],
): LoadChunk[] {
  const records: LoadRecord[] = [...changed]
    .sort((a, b) => compareKeys(a.record.key, b.record.key))
    .map(({ record, hash, previous }) => ({
      key: record.key,
      externalId: record.externalId,
      payload: record.payload,
      hash,
      ...(previous ? { knownProductId: previous.productId } : {}),
    }));
  return cutChunks(tenantId, runId, unitId, records);
}

/** Records in a stable order cut into chunks `<prefix>/<n>` by count and size. */
export function cutChunks(
  tenantId: string,
  runId: string,
  prefix: string,
  records: readonly LoadRecord[],
): LoadChunk[] {
  const chunks: LoadChunk[] = [];
  let current: LoadRecord[] = [];
  let bytes = 0;
  const close = () => {
    if (current.length === 0) return;
    chunks.push({ tenantId, runId, chunkId: `${prefix}/${chunks.length}`, records: current });
    current = [];
    bytes = 0;
  };
  for (const record of records) {
    const size = Buffer.byteLength(JSON.stringify(record));
    if (current.length >= LOAD_CHUNK_RECORDS || (current.length > 0 && bytes + size > LOAD_CHUNK_BYTES))
      close();
    current.push(record);
    bytes += size;
  }
  close();
  return chunks;
}

/**
 * Gives each chunk its place in the run's sequence of records to load (reserved in the run's
 * progress), which picks its message group: the tenant's writes spread evenly over its slots.
 */
export async function placeChunks(
  progress: Pick<ProgressStore, "reservePositions">,
  chunks: readonly LoadChunk[],
): Promise<LoadChunk[]> {
  const [first] = chunks;
  if (!first) return [];
  const count = chunks.reduce((n, chunk) => n + chunk.records.length, 0);
  let offset = await progress.reservePositions(first.tenantId, first.runId, count);
  return chunks.map((chunk) => {
    const position = offset + Math.floor(chunk.records.length / 2);
    offset += chunk.records.length;
    return { ...chunk, position };
  });
}

/** Numeric keys (f120_id) in numeric order, anything else after them as text. */
export const compareKeys = (a: string, b: string): number => {
  const [x, y] = [Number(a), Number(b)];
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
};
