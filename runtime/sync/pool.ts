/**
 * Runs `work` over `items` with at most `limit` calls in flight; resolves when all are done.
 * `work` must not throw (callers turn failures into outcomes): a throw rejects the whole pool.
 */
export async function forEachConcurrent<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
