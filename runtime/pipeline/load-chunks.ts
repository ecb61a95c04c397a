import type { ChangedRecord } from "../sync/diff.js";
import type { LoadChunk, LoadRecord } from "./messages.js";
import type { ProgressStore } from "./ports.js";

/**
 * Records per load message, at most. A chunk is written one record at a time (its message group is
 * one of the tenant's concurrency slots), so smaller chunks spread a unit's writes over more slots and
 * shorten the last chunk's tail; larger ones cost fewer progress writes. 25 keeps both near their best.
 */
export const LOAD_CHUNK_RECORDS = 25;
/** A load message's body stays well below SQS's 256 KiB. */
export const LOAD_CHUNK_BYTES = 200 * 1024;

/**
 * The load messages of one unit's changed records: sorted by key and cut by count and size, so the
 * same records always make the same chunks, and a re-sent chunk is the same operation. A unit's
 * records are shared evenly among its chunks (57 make 19 + 19 + 19, not 25 + 25 + 7): chunks take the
 * tenant's slots in turn, so chunks of about one size give every slot about the same work, and the
 * slots finish together instead of one writing on alone at the end of the run.
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

/** Records in a stable order cut into chunks `<prefix>/<n>`, shared evenly, within the size limit. */
export function cutChunks(
  tenantId: string,
  runId: string,
  prefix: string,
  records: readonly LoadRecord[],
): LoadChunk[] {
  // k chunks of ⌊n/k⌋ or ⌈n/k⌉ records, the larger first.
  const count = Math.max(1, Math.ceil(records.length / LOAD_CHUNK_RECORDS));
  const perChunk = (index: number) =>
    Math.floor(records.length / count) + (index < records.length % count ? 1 : 0);
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
    if (current.length >= perChunk(chunks.length) || (current.length > 0 && bytes + size > LOAD_CHUNK_BYTES))
      close();
    current.push(record);
    bytes += size;
  }
  close();
  return chunks;
}

/**
 * Gives each chunk its place in the run's sequence of load chunks (reserved in the run's progress),
 * which picks its message group: chunks take the tenant's slots in turn.
 */
export async function placeChunks(
  progress: Pick<ProgressStore, "reservePositions">,
  chunks: readonly LoadChunk[],
): Promise<LoadChunk[]> {
  const [first] = chunks;
  if (!first) return [];
  const start = await progress.reservePositions(first.tenantId, first.runId, chunks.length);
  return chunks.map((chunk, i) => ({ ...chunk, position: start + i }));
}

/** Numeric keys (f120_id) in numeric order, anything else after them as text. */
export const compareKeys = (a: string, b: string): number => {
  const [x, y] = [Number(a), Number(b)];
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
};
