import type { LoadChunk, LoadRecord } from "../ports/messages.js";
import type { ProgressStore } from "../ports/pipeline.js";
import type { ChangedRecord } from "./diff.js";

/**
 * Records per load message, at most. A chunk is written one record at a time (its message group is
 * one of the tenant's concurrency slots), so smaller chunks spread a unit's writes over more slots and
 * shorten the last chunk's tail; larger ones cost fewer progress writes. 25 keeps both near their best.
 */
export const LOAD_CHUNK_RECORDS = 25;
/** A load message's body stays well below SQS's 256 KiB. */
export const LOAD_CHUNK_BYTES = 200 * 1024;
/** A unit gives every slot a chunk only when each gets at least this many records. */
export const MIN_SLOT_SHARE = 8;

/**
 * The load messages of one unit's changed records: sorted by key and cut by count and size, so the
 * same records always make the same chunks, and a re-sent chunk is the same operation. A unit's
 * records are shared evenly among its chunks (57 make 19 + 19 + 19, not 25 + 25 + 7), and a unit
 * with enough records for it cuts as many chunks as the tenant has slots, or a multiple (57 make
 * 15 + 14 + 14 + 14 for 4 slots): chunks take the slots in turn, so every slot gets a share of every
 * unit and the slots finish together. With 3 chunks a unit, one slot in four was a chunk behind at
 * the end and wrote on alone for about a second.
 */
export function loadChunks(
  tenantId: string,
  runId: string,
  unitId: string,
  changed: readonly ChangedRecord[],
  slots: number,
): LoadChunk[] {
  const records: LoadRecord[] = [...changed]
    .sort((a, b) => compareKeys(a.record.key, b.record.key))
    .map(({ record, hash, previous, reference }) => ({
      key: record.key,
      externalId: record.externalId,
      payload: record.payload,
      hash,
      ...(previous ? { knownProductId: previous.productId } : {}),
      ...(reference ? { reference } : {}),
    }));
  return cutChunks(tenantId, runId, unitId, records, slots);
}

/**
 * Records in a stable order cut into chunks `<prefix>/<n>`, shared evenly (in a multiple of `slots`
 * when each slot gets at least MIN_SLOT_SHARE records), within the size limit.
 */
export function cutChunks(
  tenantId: string,
  runId: string,
  prefix: string,
  records: readonly LoadRecord[],
  slots: number,
): LoadChunk[] {
  const n = records.length;
  let count = Math.max(1, Math.ceil(n / LOAD_CHUNK_RECORDS));
  if (slots > 1 && n >= slots * MIN_SLOT_SHARE) count = slots * Math.ceil(count / slots);
  // k chunks of ⌊n/k⌋ or ⌈n/k⌉ records, the larger first.
  const perChunk = (index: number) => Math.floor(n / count) + (index < n % count ? 1 : 0);
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
 * Placed chunks cut again into exactly these sizes (the same sizes turned), keeping their positions
 * in the run. A retried unit never recuts: it repeats its plan's chunks (unit-plan.ts).
 */
export function recut(chunks: readonly LoadChunk[], sizes: readonly number[]): LoadChunk[] {
  const [first] = chunks;
  if (!first) return [];
  const { tenantId, runId } = first;
  const prefix = first.chunkId.slice(0, first.chunkId.lastIndexOf("/"));
  const records = chunks.flatMap((chunk) => chunk.records);
  const start = first.position ?? 0;
  const cut: LoadChunk[] = [];
  let at = 0;
  for (const [i, size] of sizes.entries()) {
    if (at >= records.length) break;
    const part = records.slice(at, at + size);
    cut.push({ tenantId, runId, chunkId: `${prefix}/${i}`, records: part, position: start + i });
    at += size;
  }
  return cut;
}

/**
 * Gives each chunk its place in the run's sequence of load chunks (reserved in the run's progress),
 * which picks its message group: chunks take the tenant's slots in turn. An even cut puts a unit's
 * larger chunks first; they are turned to begin at a chunk that moves on with each unit, so that no
 * slot collects every unit's extra record (one slot was 14 records, 0.7 s, behind at 1,257 items).
 */
export async function placeChunks(
  progress: Pick<ProgressStore, "reservePositions">,
  chunks: readonly LoadChunk[],
): Promise<LoadChunk[]> {
  const placed = await positionChunks(progress, chunks);
  const start = placed[0]?.position;
  if (start === undefined) return placed;
  const sizes = chunks.map((chunk) => chunk.records.length);
  const count = sizes.length;
  // Cut by bytes (huge records), the sizes are not interchangeable: they stay as they are.
  if (count === 1 || Math.max(...sizes) - Math.min(...sizes) > 1) return placed;
  const turn = Math.floor(start / count) % count;
  return recut(
    placed,
    sizes.map((_, i) => sizes[(i - turn + count) % count] as number),
  );
}

/**
 * Chunks given the next consecutive places in the run's sequence of loads, as they are (their places
 * pick their message groups); placeChunks also turns an even cut's sizes.
 */
export async function positionChunks(
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
