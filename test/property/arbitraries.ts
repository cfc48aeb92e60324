import fc from 'fast-check';
import { z } from 'zod';

type JsonObject = Record<string, unknown>;

/** The part of JSON Schema that zod's `toJSONSchema` writes for the shapes kinds use. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Distinct values (by JSON), so constantFrom does not weigh duplicates. */
function distinct(values: readonly unknown[]): unknown[] {
  const seen = new Map<string, unknown>();
  for (const value of values) if (value !== undefined) seen.set(JSON.stringify(value), value);
  return [...seen.values()];
}

const CIDR_V4 = fc
  .tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }))
  .map(([ip, bits]) => `${ip}/${bits}`);

function stringArbitrary(node: JsonSchema): fc.Arbitrary<string> {
  const minLength = node.minLength ?? 0;
  const maxLength = node.maxLength ?? minLength + 40;
  const fits = (s: string) => s.length >= minLength && s.length <= maxLength;
  switch (node.format) {
    case 'cidrv4':
      return CIDR_V4;
    case 'ipv4':
      return fc.ipV4();
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress();
    case 'uri':
    case 'url':
      return fc.webUrl();
    default:
      break;
  }
  if (node.pattern !== undefined) {
    try {
      // Only regexes that fast-check can generate from (no look-arounds); else fall through.
      return fc.stringMatching(new RegExp(node.pattern)).filter(fits);
    } catch {
      const pattern = new RegExp(node.pattern);
      return fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 40) }).filter((s) => pattern.test(s));
    }
  }
  return fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 40), unit: 'grapheme' }).filter(fits);
}

function numberArbitrary(node: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lower = node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + (integer ? 1 : Number.EPSILON) : node.minimum;
  const upper = node.exclusiveMaximum !== undefined ? node.exclusiveMaximum - (integer ? 1 : Number.EPSILON) : node.maximum;
  if (integer) {
    const min = Math.max(lower ?? -1_000_000, Number.MIN_SAFE_INTEGER);
    const max = Math.min(upper ?? 1_000_000, Number.MAX_SAFE_INTEGER);
    return fc.integer({ min, max });
  }
  return fc.double({ min: lower ?? -1e6, max: upper ?? 1e6, noNaN: true, noDefaultInfinity: true });
}

/**
 * An arbitrary for one JSON Schema node. `seeds` are known-good values at
 * this position (from examples and samples): mixed in so that random specs
 * often pick values the environment can actually serve (a configured
 * environment name, a size within a class's range).
 */
function fromSchema(node: JsonSchema, seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  const derived = deriveFromSchema(node, seeds);
  const known = distinct(seeds);
  if (known.length === 0) return derived;
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: derived });
}

function deriveFromSchema(node: JsonSchema, seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives !== undefined && alternatives.length > 0) return fc.oneof(...alternatives.map((alt) => fromSchema(alt, seeds)));
  if (node.allOf !== undefined && node.allOf[0] !== undefined) return fromSchema(node.allOf[0], seeds);
  if (node.const !== undefined) return fc.constant(node.const);
  if (node.enum !== undefined && node.enum.length > 0) return fc.constantFrom(...node.enum);
  if (Array.isArray(node.type)) {
    return fc.oneof(...node.type.map((type) => deriveFromSchema({ ...node, type }, seeds)));
  }
  switch (node.type) {
    case 'string':
      return stringArbitrary(node);
    case 'integer':
      return numberArbitrary(node, true);
    case 'number':
      return numberArbitrary(node, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const itemSeeds = seeds.flatMap((s) => (Array.isArray(s) ? (s as unknown[]) : []));
      const items = node.items !== undefined ? fromSchema(node.items, itemSeeds) : fc.jsonValue({ maxDepth: 1 });
      const minLength = node.minItems ?? 0;
      const maxLength = Math.min(node.maxItems ?? minLength + 4, minLength + 4);
      return node.uniqueItems
        ? fc.uniqueArray(items, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(items, { minLength, maxLength });
    }
    case 'object':
      return objectArbitrary(node, seeds);
    default:
      // zod's `unknown`/`any` (and anything it could not represent): any JSON.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(node: JsonSchema, seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  const objectSeeds = seeds.filter(isObject);
  const properties = node.properties ?? {};
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, child] of Object.entries(properties)) {
    shape[key] = fromSchema(
      child,
      objectSeeds.map((s) => s[key]),
    );
  }
  const fixed = fc.record(shape, { requiredKeys: (node.required ?? []).filter((key) => key in shape) });
  const extra = node.additionalProperties;
  if (!isObject(extra)) return fixed;
  // A record (z.record): keys from propertyNames, values from additionalProperties.
  const keySeeds = objectSeeds.flatMap((s) => Object.keys(s).filter((k) => !(k in properties)));
  const keys = fromSchema(node.propertyNames ?? { type: 'string', minLength: 1, maxLength: 20 }, keySeeds).filter(
    (k): k is string => typeof k === 'string' && !(k in properties),
  );
  const valueSeeds = objectSeeds.flatMap((s) => Object.entries(s).filter(([k]) => !(k in properties)).map(([, v]) => v));
  const dictionary = fc.dictionary(keys, fromSchema(extra as JsonSchema, valueSeeds), { maxKeys: 4 });
  return fc.tuple(fixed, dictionary).map(([a, b]) => ({ ...b, ...a }));
}

/**
 * Random values shaped by a zod schema (through its input JSON Schema, the
 * same route the XRDs take), mixed with the known-good `seeds`. Refinements
 * JSON Schema cannot express are not honoured: callers judge each value with
 * the zod schema itself.
 */
export function arbitraryFromZod(schema: z.ZodType, seeds: readonly unknown[] = []): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return fromSchema(json, seeds);
}

/** A path into a JSON value: object keys and array indexes. */
export type JsonPath = Array<string | number>;

/** Every path to a node inside `value` (not the root), depth first. */
export function pathsOf(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const out: JsonPath[] = [];
  if (Array.isArray(value)) {
    value.forEach((child, i) => {
      out.push([...prefix, i], ...pathsOf(child, [...prefix, i]));
    });
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) out.push([...prefix, key], ...pathsOf(child, [...prefix, key]));
  }
  return out;
}

/** A copy of `value` with the node at `path` replaced (or removed when `replacement` is `REMOVE`). */
export function replaceAt(value: unknown, path: JsonPath, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = [...value];
    if (rest.length === 0 && replacement === REMOVE) copy.splice(head, 1);
    else copy[head] = replaceAt(value[head], rest, replacement);
    return copy;
  }
  if (isObject(value) && typeof head === 'string') {
    const copy: JsonObject = { ...value };
    if (rest.length === 0 && replacement === REMOVE) delete copy[head];
    else copy[head] = replaceAt(value[head], rest, replacement);
    return copy;
  }
  return value;
}

/** Marker for {@link replaceAt}: remove the node. */
export const REMOVE = Symbol('remove');

/** An object nested `depth` levels deep: `{a: {a: ... {}}}`. Built iteratively (no stack to blow here). */
export function deeplyNested(depth: number): JsonObject {
  let out: JsonObject = { leaf: 'x' };
  for (let i = 0; i < depth; i++) out = { a: out };
  return out;
}

/** Junk values of every JSON type, including the awkward ones. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308, -0),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\u202e', 'ﬁ', '𝕏'.repeat(10), '../../etc/passwd', '${jndi:x}', '{{ .Values }}', 'a'.repeat(300)),
  fc.constant('x'.repeat(1 << 20)),
  fc.constant('é'.repeat(300_000)),
  fc.integer({ min: 50, max: 2000 }).map(deeplyNested),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** Mutations that turn a spec into a (probably) invalid one. */
export type Mutation =
  | { kind: 'replace'; path: JsonPath; value: unknown }
  | { kind: 'remove'; path: JsonPath }
  | { kind: 'add'; path: JsonPath; key: string; value: unknown };

/** Applies a mutation; paths that do not exist leave the value unchanged. */
export function mutate(spec: unknown, mutation: Mutation): unknown {
  switch (mutation.kind) {
    case 'replace':
      return replaceAt(spec, mutation.path, mutation.value);
    case 'remove':
      return replaceAt(spec, mutation.path, REMOVE);
    case 'add': {
      const target = mutation.path.reduce<unknown>((node, key) => (isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined), spec);
      if (!isObject(target)) return spec;
      return replaceAt(spec, mutation.path, { ...target, [mutation.key]: mutation.value });
    }
  }
}

/** A mutation of one node of `spec`: a junk value, a removal, or an unknown field. */
export function mutationOf(spec: unknown): fc.Arbitrary<Mutation> {
  const paths = pathsOf(spec);
  const objectPaths: JsonPath[] = [[], ...paths.filter((p) => isObject(p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], spec)))];
  const anyPath = paths.length > 0 ? fc.constantFrom(...paths) : fc.constant<JsonPath>([]);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), path: anyPath, value: junkValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), path: anyPath }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('add' as const),
        path: fc.constantFrom(...objectPaths),
        key: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'crossplan', 'x'.repeat(5000))),
        value: junkValue,
      }),
    },
  );
}
