/**
 * JSON with every object's keys sorted: the same text for the same content
 * whatever order its maps arrived in. Crossplane's requests carry each Struct's
 * fields in Go's random map order, so `JSON.stringify` of a decoded value is no
 * key for its content; this is.
 */

const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `JSON.stringify(value)` with object keys in code-unit order at every depth.
 * Follows JSON.stringify otherwise: undefined and functions are left out of
 * objects and become null in arrays; `toJSON` (Dates) is honoured; Uint8Arrays
 * (protobuf bytes) are written as their base64. Returns undefined for a value
 * JSON.stringify would not write.
 */
export function canonicalJson(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]) ?? 'null';
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort(compareCodeUnits);
  let out = '{';
  let first = true;
  for (const key of keys) {
    const text = canonicalJson((value as Record<string, unknown>)[key]);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}
