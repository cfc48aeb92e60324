import { z } from 'zod';

/** A JSON object as it appears in an OpenAPI v3 schema. */
export type OpenApiSchema = { [key: string]: unknown };

/**
 * Keywords a Kubernetes structural schema accepts. Anything else zod emits
 * (`$schema`, `additionalProperties: false`, `format: cidrv4`, ...) is dropped,
 * because the API server would reject or ignore it.
 */
const KEPT_KEYWORDS = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'enum',
  'default',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'nullable',
]);

/** zod writes the safe-integer bounds on every `.int()`: they say nothing a reader needs. */
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

function isObject(value: unknown): value is OpenApiSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns one node of zod's JSON Schema into a Kubernetes structural schema node.
 * Exported for tests; use {@link toOpenApiSchema}.
 */
export function toStructural(node: OpenApiSchema): OpenApiSchema {
  const out: OpenApiSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-')) {
      out[key] = value;
      continue;
    }
    if (!KEPT_KEYWORDS.has(key)) continue;
    if ((key === 'minimum' || key === 'maximum') && SAFE_INTEGER_BOUNDS.has(value as number)) continue;
    if (key === 'properties' && isObject(value)) {
      const props: OpenApiSchema = {};
      for (const [name, child] of Object.entries(value)) {
        if (isObject(child)) props[name] = toStructural(child);
      }
      if (Object.keys(props).length > 0) out.properties = props;
      continue;
    }
    if (key === 'items' && isObject(value)) {
      out.items = toStructural(value);
      continue;
    }
    if (key === 'additionalProperties') {
      // `false` is zod's strict object; Kubernetes forbids it next to `properties`
      // and prunes unknown fields anyway. `{}` comes from a catchall(unknown).
      if (isObject(value) && Object.keys(value).length > 0) out.additionalProperties = toStructural(value);
      continue;
    }
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  if (out['x-kubernetes-preserve-unknown-fields'] === true) {
    delete out.additionalProperties;
  }
  return out;
}

/**
 * Converts a zod schema to the OpenAPI v3 schema Kubernetes expects in a CRD
 * (and so in a Crossplane XRD). The input side is used, so fields with
 * defaults are optional and carry their `default`.
 */
export function toOpenApiSchema(schema: z.ZodType): OpenApiSchema {
  const jsonSchema = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' });
  return toStructural(jsonSchema as OpenApiSchema);
}
