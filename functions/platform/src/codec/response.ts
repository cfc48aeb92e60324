/**
 * RunFunctionResponse from the SDK's message shape to wire bytes, field for
 * field as the SDK's `RunFunctionResponse.encode` (ts-proto,
 * apiextensions.fn.proto.v1), so the bytes are identical, with Struct
 * contents written straight from plain objects. Messages are written back to
 * front (writer.ts): each function takes the end of its message's fields,
 * writes them last field first, and returns where they start.
 */
import type { Condition, Requirements, Resource, ResourceSelector, Result, RunFunctionResponse, SchemaSelector, State } from '@crossplane-org/function-sdk-typescript';
import { sortedKeys, writeStruct } from './struct.js';
import { HEADROOM, prefix, Writer } from './writer.js';

type ResponseMeta = NonNullable<RunFunctionResponse['meta']>;
type Duration = NonNullable<ResponseMeta['ttl']>;

// Tags (field number << 3 | wire type) of the response's messages.
const RESPONSE_META = 10;
const RESPONSE_DESIRED = 18;
const RESPONSE_RESULTS = 26;
const RESPONSE_CONTEXT = 34;
const RESPONSE_REQUIREMENTS = 42;
const RESPONSE_CONDITIONS = 50;
const RESPONSE_OUTPUT = 58;
const META_TAG = 10;
const META_TTL = 18;
const DURATION_SECONDS = 8;
const DURATION_NANOS = 16;
const STATE_COMPOSITE = 10;
const STATE_RESOURCES = 18;
const RESOURCE_RESOURCE = 10;
const RESOURCE_CONNECTION_DETAILS = 18;
const RESOURCE_READY = 24;
const RESULT_SEVERITY = 8;
const RESULT_MESSAGE = 18;
const RESULT_REASON = 26;
const RESULT_TARGET = 32;
const REQUIREMENTS_EXTRA_RESOURCES = 10;
const REQUIREMENTS_RESOURCES = 18;
const REQUIREMENTS_SCHEMAS = 26;
const SELECTOR_API_VERSION = 10;
const SELECTOR_KIND = 18;
const SELECTOR_MATCH_NAME = 26;
const SELECTOR_MATCH_LABELS = 34;
const SELECTOR_NAMESPACE = 42;
const CONDITION_TYPE = 10;
const CONDITION_STATUS = 16;
const CONDITION_REASON = 26;
const CONDITION_MESSAGE = 34;
const CONDITION_TARGET = 40;
const ENTRY_KEY = 10;
const ENTRY_VALUE = 18;

/** A nested message field: its fields written by `fields` before `end`, then its tag and length. */
function message<T>(w: Writer, tag: number, value: T, end: number, fields: (w: Writer, value: T, end: number) => number): number {
  const start = fields(w, value, end);
  return prefix(w.buf, start, tag, end - start);
}

function string(w: Writer, tag: number, text: string, end: number): number {
  const start = w.text(text, end);
  return prefix(w.buf, start, tag, end - start);
}

function struct(w: Writer, tag: number, object: object, end: number): number {
  const start = writeStruct(w, object, end);
  return prefix(w.buf, start, tag, end - start);
}

/**
 * `map` as repeated entries of `tag`, in the key order of `Object.keys` (as
 * the SDK's `Object.entries`); `entryValue` writes an entry's value field, if any.
 */
/** A protobuf map, entries in the order of its keys sorted ({@link sortKeys}), like every Struct: bytes depend on content only. */
function map<T>(w: Writer, tag: number, map: Record<string, T>, end: number, entryValue: (value: T, end: number) => number): number {
  const keys = sortedKeys(map);
  let p = end;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string;
    const entryEnd = p;
    p = entryValue(map[key] as T, p);
    if (key !== '') p = w.key(key, p);
    p = prefix(w.buf, p, tag, entryEnd - p);
  }
  return p;
}

function duration(w: Writer, duration: Duration, end: number): number {
  let p = end;
  if (duration.nanos !== 0) p = w.varint(DURATION_NANOS, duration.nanos, p);
  if (duration.seconds !== 0) p = w.varint(DURATION_SECONDS, duration.seconds, p);
  return p;
}

function meta(w: Writer, meta: ResponseMeta, end: number): number {
  let p = end;
  if (meta.ttl !== undefined) p = message(w, META_TTL, meta.ttl, p, duration);
  if (meta.tag !== '') p = string(w, META_TAG, meta.tag, p);
  return p;
}

function resource(w: Writer, resource: Resource, end: number): number {
  let p = end;
  if (resource.ready !== 0) p = w.varint(RESOURCE_READY, resource.ready, p);
  p = map(w, RESOURCE_CONNECTION_DETAILS, resource.connectionDetails, p, (value, end) => {
    if (value.length === 0) return end;
    const start = w.bytes(value, end);
    return prefix(w.buf, start, ENTRY_VALUE, end - start);
  });
  if (resource.resource !== undefined) p = struct(w, RESOURCE_RESOURCE, resource.resource, p);
  return p;
}

function state(w: Writer, state: State, end: number): number {
  let p = map(w, STATE_RESOURCES, state.resources, end, (value, end) => (value === undefined ? end : message(w, ENTRY_VALUE, value, end, resource)));
  if (state.composite !== undefined) p = message(w, STATE_COMPOSITE, state.composite, p, resource);
  return p;
}

function result(w: Writer, result: Result, end: number): number {
  let p = end;
  if (result.target !== undefined) p = w.varint(RESULT_TARGET, result.target, p);
  if (result.reason !== undefined) p = string(w, RESULT_REASON, result.reason, p);
  if (result.message !== '') p = string(w, RESULT_MESSAGE, result.message, p);
  if (result.severity !== 0) p = w.varint(RESULT_SEVERITY, result.severity, p);
  return p;
}

function matchLabels(w: Writer, labels: Record<string, string>, end: number): number {
  return map(w, ENTRY_KEY, labels, end, (value, end) => (value === '' ? end : string(w, ENTRY_VALUE, value, end)));
}

function resourceSelector(w: Writer, selector: ResourceSelector, end: number): number {
  let p = end;
  if (selector.namespace !== undefined) p = string(w, SELECTOR_NAMESPACE, selector.namespace, p);
  if (selector.matchLabels !== undefined) p = message(w, SELECTOR_MATCH_LABELS, selector.matchLabels.labels, p, matchLabels);
  if (selector.matchName !== undefined) p = string(w, SELECTOR_MATCH_NAME, selector.matchName, p);
  if (selector.kind !== '') p = string(w, SELECTOR_KIND, selector.kind, p);
  if (selector.apiVersion !== '') p = string(w, SELECTOR_API_VERSION, selector.apiVersion, p);
  return p;
}

function schemaSelector(w: Writer, selector: SchemaSelector, end: number): number {
  let p = end;
  if (selector.kind !== '') p = string(w, SELECTOR_KIND, selector.kind, p);
  if (selector.apiVersion !== '') p = string(w, SELECTOR_API_VERSION, selector.apiVersion, p);
  return p;
}

function requirements(w: Writer, requirements: Requirements, end: number): number {
  const selectorEntry = (value: ResourceSelector | undefined, end: number) => (value === undefined ? end : message(w, ENTRY_VALUE, value, end, resourceSelector));
  let p = map(w, REQUIREMENTS_SCHEMAS, requirements.schemas, end, (value: SchemaSelector | undefined, end) =>
    value === undefined ? end : message(w, ENTRY_VALUE, value, end, schemaSelector),
  );
  p = map(w, REQUIREMENTS_RESOURCES, requirements.resources, p, selectorEntry);
  return map(w, REQUIREMENTS_EXTRA_RESOURCES, requirements.extraResources, p, selectorEntry);
}

function condition(w: Writer, condition: Condition, end: number): number {
  let p = end;
  if (condition.target !== undefined) p = w.varint(CONDITION_TARGET, condition.target, p);
  if (condition.message !== undefined) p = string(w, CONDITION_MESSAGE, condition.message, p);
  if (condition.reason !== '') p = string(w, CONDITION_REASON, condition.reason, p);
  if (condition.status !== 0) p = w.varint(CONDITION_STATUS, condition.status, p);
  if (condition.type !== '') p = string(w, CONDITION_TYPE, condition.type, p);
  return p;
}

function writeResponse(w: Writer, response: RunFunctionResponse, end: number): number {
  let p = end;
  if (response.output !== undefined) p = struct(w, RESPONSE_OUTPUT, response.output, p);
  for (let i = response.conditions.length - 1; i >= 0; i--) p = message(w, RESPONSE_CONDITIONS, response.conditions[i] as Condition, p, condition);
  if (response.requirements !== undefined) p = message(w, RESPONSE_REQUIREMENTS, response.requirements, p, requirements);
  if (response.context !== undefined) p = struct(w, RESPONSE_CONTEXT, response.context, p);
  for (let i = response.results.length - 1; i >= 0; i--) p = message(w, RESPONSE_RESULTS, response.results[i] as Result, p, result);
  if (response.desired !== undefined) p = message(w, RESPONSE_DESIRED, response.desired, p, state);
  if (response.meta !== undefined) p = message(w, RESPONSE_META, response.meta, p, meta);
  return p;
}

/** One encoding at a time (encoding is synchronous), so the writer and its buffers are reused from call to call. */
const sharedWriter = new Writer();

/**
 * Encodes a RunFunctionResponse to the bytes the SDK's
 * `RunFunctionResponse.encode(response).finish()` gives for the response with
 * every Struct's keys sorted, byte for byte, including its Struct conversions
 * (undefined fields left out, undefined in a list as an empty Value, other
 * non-JSON values refused), except that a Date is written as its ISO 8601
 * string where the SDK writes `{}`.
 * `writer`: tests pass their own, to start from a small buffer.
 */
export function encodeRunFunctionResponse(response: RunFunctionResponse, writer = sharedWriter): Buffer {
  for (;;) {
    const end = writer.start();
    const start = writeResponse(writer, response, end);
    if (start >= HEADROOM) return writer.finish(start);
    writer.grow(end - start);
  }
}
