/**
 * Runs `work` over `items` with at most `limit` calls in flight; resolves when all are done. A call
 * that throws stops the others from taking more items; once the calls in flight have settled, the
 * pool rejects with the first error (nothing keeps running after it).
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failed: { error?: unknown } = {};
  const lane = async () => {
    while (next < items.length && !("error" in failed)) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        if (!("error" in failed)) failed.error = error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if ("error" in failed) throw failed.error;
}

/**
 * A counting semaphore: `run(task)` starts `task` once fewer than `limit` tasks are running.
 * Shared by callers that each have their own loop but must stay under one limit together.
 */
export function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return async (task) => {
    if (running >= Math.max(1, limit)) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
