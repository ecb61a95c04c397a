/**
 * Remembers each key's answer for `ttlMs`, and gives concurrent callers of the same key one shared
 * call: fifty monitors polling a tenant's status at once cost one set of reads, not fifty.
 */
export function shortCache<T>(
  load: (key: string) => Promise<T>,
  ttlMs: number,
  now: () => number = Date.now,
): { get(key: string): Promise<T>; forget(key: string): void } {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const value = load(key);
      entries.set(key, { at: now(), value });
      value.catch(() => entries.delete(key));
      return value;
    },
    forget(key) {
      entries.delete(key);
    },
  };
}
