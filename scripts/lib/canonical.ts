type JsonObject = Record<string, unknown>;

/**
 * The canonical form of a value: object keys sorted recursively, undefined
 * dropped, Dates as ISO strings. For printing and comparing objects whatever
 * their key order (render output, requirement selectors, determinism tests):
 * Crossplane sends maps in Go's random order.
 */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item: unknown) => {
      const out = canonical(item);
      changed ||= out !== item;
      return out;
    });
    return (changed ? items : value) as T;
  }
  // The SDK's Struct encoding turns a Date into {}; say what time it was instead.
  if (value instanceof Date) return value.toISOString() as T;
  if (typeof value !== 'object' || value === null) return value;
  // Hot path (every XR, every reconcile): an object whose keys are already in order and
  // whose children need no change is returned as it is instead of copied.
  const keys = Object.keys(value);
  let changed = false;
  for (let i = 1; i < keys.length && !changed; i++) changed = (keys[i - 1] as string) > (keys[i] as string);
  const out: JsonObject = {};
  for (const key of changed ? keys.sort() : keys) {
    const child = (value as JsonObject)[key];
    if (child === undefined) {
      changed = true;
      continue;
    }
    const canonicalChild = canonical(child);
    changed ||= canonicalChild !== child;
    // An own `__proto__` key stays a key: assigning it would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: canonicalChild, enumerable: true, writable: true, configurable: true });
    else out[key] = canonicalChild;
  }
  return (changed ? out : value) as T;
}
