/**
 * `target` with one method replaced: `replace` gets the original (bound to `target`) and returns what
 * callers get instead; every other member is the target's own. For tests that make one call of a
 * port fail, hang or do something more, the rest of the port untouched.
 */
export function withMethod<T extends object, K extends keyof T>(
  target: T,
  key: K,
  replace: (original: T[K]) => T[K],
): T {
  const original = (target[key] as (...args: unknown[]) => unknown).bind(target) as T[K];
  const replaced = replace(original);
  return new Proxy(target, {
    get(object, name) {
      if (name === key) return replaced;
      const value = Reflect.get(object, name);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}
