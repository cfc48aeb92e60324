import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';

type JsonObject = Record<string, unknown>;

/** One problem found in one manifest, with the field path kubectl would print. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** The outcome for one manifest. */
export type ValidationResult = { status: 'valid' } | { status: 'invalid'; issues: ValidationIssue[] } | { status: 'no-schema' };

interface SchemaEntry {
  /** Where the schema came from, for messages. */
  source: string;
  /** An ajv schema, or a $ref into a registered OpenAPI document. */
  schema: JsonObject;
  namespaced: boolean | undefined;
  validate?: ValidateFunction;
}

const OBJECT_META_REF = 'k8s-api-v1#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Files under `dir` (recursively) whose names end with one of `extensions`, sorted. */
export function listFiles(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path, extensions));
    else if (extensions.some((ext) => name.endsWith(ext))) out.push(path);
  }
  return out;
}

/** Parses a YAML stream, skipping empty documents; throws on a syntax error. */
export function parseManifests(text: string, source: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`cannot parse ${source}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isObject(value)) throw new Error(`cannot parse ${source}: a document is not an object`);
    out.push(value);
  }
  return out;
}

/**
 * Turns a Kubernetes structural schema into JSON Schema with the API server's
 * semantics: an object that lists its properties (and does not preserve
 * unknown fields) rejects any other field, int-or-string accepts both, and
 * embedded resources get their type and object metadata.
 */
export function structuralToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(structuralToJsonSchema);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isObject(value)) {
      const props: JsonObject = {};
      for (const [name, child] of Object.entries(value)) props[name] = structuralToJsonSchema(child);
      out.properties = props;
    } else if (key === 'default' || key === 'enum' || key === 'example' || key === 'x-kubernetes-validations') {
      out[key] = value;
    } else {
      out[key] = structuralToJsonSchema(value);
    }
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out['x-kubernetes-embedded-resource'] === true && isObject(out.properties)) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...out.properties };
  }
  if (isObject(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** Fields Crossplane adds to every v2 XR, which an XRD does not list. */
function withCrossplaneXrFields(schema: JsonObject): JsonObject {
  const props = isObject(schema.properties) ? { ...schema.properties } : {};
  const spec: JsonObject = isObject(props.spec) ? { ...props.spec } : { type: 'object' };
  spec.properties = { ...(isObject(spec.properties) ? spec.properties : {}), crossplane: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  props.spec = spec;
  const status: JsonObject = isObject(props.status) ? { ...props.status } : { type: 'object' };
  status.properties = {
    ...(isObject(status.properties) ? status.properties : {}),
    conditions: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  };
  props.status = status;
  // crossplane render prints an XR as name and status only, so spec may be absent;
  // when present it is checked in full.
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => r !== 'spec') : [];
  return { ...schema, properties: props, required };
}

function withTypeMeta(schema: JsonObject): JsonObject {
  const props = isObject(schema.properties) ? schema.properties : {};
  return {
    ...schema,
    properties: { ...props, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: OBJECT_META_REF } },
  };
}

function key(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

function describeError(error: ErrorObject): ValidationIssue {
  const base = error.instancePath.replace(/^\//, '').split('/').filter((s) => s !== '');
  const path = base.map((s, i) => (/^[0-9]+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  const join = (child: string) => (path === '' ? child : `${path}.${child}`);
  if (error.keyword === 'additionalProperties') {
    return { path: join(String(error.params.additionalProperty)), message: 'unknown field' };
  }
  if (error.keyword === 'required') {
    return { path: join(String(error.params.missingProperty)), message: 'required field is missing' };
  }
  if (error.keyword === 'enum') {
    return { path: path || '(root)', message: `must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { path: path || '(root)', message: error.message ?? error.keyword };
}

/**
 * Validates manifests in-process against upstream schemas, for the unit tests:
 * upstream CRDs, the Kubernetes built-in OpenAPI documents, and this package's
 * XRDs for its XRs; CEL rules (x-kubernetes-validations) are not evaluated. It
 * also reaches what the real `crossplane resource validate` does not (Object
 * manifests, Helm values against chart schemas); the real CLI validates every
 * example at every step in test/e2e.test.ts and behind `npm run validate`.
 */
export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly entries = new Map<string, SchemaEntry>();

  constructor() {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    addFormats(this.ajv);
    for (const format of ['int-or-string', 'quantity', 'uri-reference', 'cidr', 'ip', 'ipv4', 'ipv6', 'hostname', 'duration', 'date', 'email', 'uuid', 'mac', 'password', 'binary']) {
      if (!this.ajv.formats[format]) this.ajv.addFormat(format, true);
    }
  }

  /** Registers a Kubernetes OpenAPI v3 document (`api__v1_openapi.json` and friends). */
  addOpenApiDocument(path: string): void {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { components?: { schemas?: Record<string, JsonObject> } };
    const id = /api__v1_openapi\.json$/.test(path) ? 'k8s-api-v1' : `k8s-${path.replace(/^.*\//, '').replace(/_openapi\.json$/, '')}`;
    const schemas = doc.components?.schemas ?? {};
    const converted: JsonObject = {};
    for (const [name, schema] of Object.entries(schemas)) converted[name] = structuralToJsonSchema(schema);
    // Rewrite local refs so one document can point into another's copy of meta/v1 types.
    const text = JSON.stringify({ $id: id, components: { schemas: converted } }).replaceAll('"#/components/schemas/', `"${id}#/components/schemas/`);
    this.ajv.addSchema(JSON.parse(text) as JsonObject);
    for (const [name, schema] of Object.entries(schemas)) {
      const gvks = schema['x-kubernetes-group-version-kind'];
      if (!Array.isArray(gvks)) continue;
      for (const gvk of gvks as Array<{ group: string; version: string; kind: string }>) {
        const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
        if (this.entries.has(key(apiVersion, gvk.kind))) continue;
        this.entries.set(key(apiVersion, gvk.kind), { source: path, schema: { $ref: `${id}#/components/schemas/${name}` }, namespaced: undefined });
      }
    }
  }

  /** Registers a CRD (every version with a schema). */
  addCrd(crd: JsonObject, source: string): void {
    const spec = crd.spec as { group: string; names: { kind: string }; scope: string; versions: Array<{ name: string; schema?: { openAPIV3Schema?: JsonObject } }> };
    for (const version of spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (schema === undefined) continue;
      this.entries.set(key(`${spec.group}/${version.name}`, spec.names.kind), {
        source,
        schema: withTypeMeta(structuralToJsonSchema(schema) as JsonObject),
        namespaced: spec.scope === 'Namespaced',
      });
    }
  }

  /** Registers the XR kind a Crossplane XRD defines. */
  addXrd(xrd: JsonObject, source: string): void {
    const spec = xrd.spec as { group: string; names: { kind: string }; scope?: string; versions: Array<{ name: string; schema?: { openAPIV3Schema?: JsonObject } }> };
    for (const version of spec.versions) {
      const schema = version.schema?.openAPIV3Schema ?? { type: 'object' };
      this.entries.set(key(`${spec.group}/${version.name}`, spec.names.kind), {
        source,
        schema: withTypeMeta(structuralToJsonSchema(withCrossplaneXrFields(schema)) as JsonObject),
        namespaced: (spec.scope ?? 'Namespaced') === 'Namespaced',
      });
    }
  }

  /** Loads every CRD (*.yaml) and OpenAPI document (*.json) under `dir`. */
  addSchemaDirectory(dir: string): void {
    const files = listFiles(dir, ['.yaml', '.yml', '.json']);
    // The core document first: every other one refers to its meta/v1 types.
    for (const file of files.filter((f) => f.endsWith('_openapi.json')).sort((a, b) => Number(!a.endsWith('api__v1_openapi.json')) - Number(!b.endsWith('api__v1_openapi.json')))) {
      this.addOpenApiDocument(file);
    }
    // schemas/charts holds Helm chart metadata, not API schemas.
    for (const file of files.filter((f) => !f.endsWith('.json') && !f.includes('/charts/'))) {
      for (const doc of parseManifests(readFileSync(file, 'utf8'), file)) {
        if (doc.kind === 'CustomResourceDefinition') this.addCrd(doc, file);
      }
    }
  }

  /** Loads the XRDs (*.yaml) under `dir`. */
  addXrdDirectory(dir: string): void {
    for (const file of listFiles(dir, ['.yaml', '.yml'])) {
      for (const doc of parseManifests(readFileSync(file, 'utf8'), file)) {
        if (doc.kind === 'CompositeResourceDefinition') this.addXrd(doc, file);
      }
    }
  }

  /** Whether a schema is known for this apiVersion and kind. */
  has(apiVersion: string, kind: string): boolean {
    return this.entries.has(key(apiVersion, kind));
  }

  /** Validates one manifest against its schema. */
  validate(manifest: JsonObject): ValidationResult {
    const apiVersion = typeof manifest.apiVersion === 'string' ? manifest.apiVersion : '';
    const kind = typeof manifest.kind === 'string' ? manifest.kind : '';
    const entry = this.entries.get(key(apiVersion, kind));
    if (entry === undefined) return { status: 'no-schema' };
    entry.validate ??= this.ajv.compile(entry.schema);
    if (entry.validate(manifest)) {
      if (entry.namespaced === false && isObject(manifest.metadata) && manifest.metadata.namespace !== undefined) {
        return { status: 'invalid', issues: [{ path: 'metadata.namespace', message: `${kind} is cluster-scoped and takes no namespace` }] };
      }
      return { status: 'valid' };
    }
    const seen = new Set<string>();
    const issues: ValidationIssue[] = [];
    for (const error of entry.validate.errors ?? []) {
      // anyOf branches of int-or-string repeat themselves; the anyOf error says it once.
      if (error.schemaPath.includes('/anyOf/')) continue;
      const issue = describeError(error);
      const id = `${issue.path}: ${issue.message}`;
      if (!seen.has(id)) {
        seen.add(id);
        issues.push(issue);
      }
    }
    return { status: 'invalid', issues };
  }
}
