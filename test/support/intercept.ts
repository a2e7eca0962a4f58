/**
 * A stand-in for `target` (a store, a transaction) that answers `replace(key)` where it gives a value and forwards
 * everything else, methods bound to the target: for tests that make one call fail, or count calls.
 */
export function intercept<T extends object>(target: T, replace: (key: PropertyKey) => unknown): T {
  return new Proxy(target, {
    get(t, key) {
      const replaced = replace(key);
      if (replaced !== undefined) return replaced;
      const v = (t as unknown as Record<PropertyKey, unknown>)[key];
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
}
