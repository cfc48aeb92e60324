/**
 * RunFunctionResponse from the SDK's message shape to wire bytes, field for
 * field and in the same order as the SDK's `RunFunctionResponse.encode`
 * (ts-proto, apiextensions.fn.proto.v1), so the bytes are identical, with
 * Struct contents written straight from plain objects, as a binary string
 * (binary-string.ts). Each function returns the fields of its message.
 */
import type { Condition, Requirements, Resource, ResourceSelector, Result, RunFunctionResponse, SchemaSelector, State } from '@crossplane-org/function-sdk-typescript';
import { encodeBinary, type BinaryStringEncoder } from './binary-string.js';
import { encodeStruct } from './struct.js';

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

/** `map` as repeated entries of `tag`, in the key order of `Object.keys` (as the SDK's `Object.entries`). */
function encodeMap<T>(e: BinaryStringEncoder, tag: number, map: Record<string, T>, encodeEntryValue: (value: T) => string): string {
  let out = '';
  for (const key of Object.keys(map)) {
    out += e.delimited(tag, (key === '' ? '' : e.string(ENTRY_KEY, key)) + encodeEntryValue(map[key] as T));
  }
  return out;
}

function encodeDuration(e: BinaryStringEncoder, duration: Duration): string {
  return (duration.seconds !== 0 ? e.varint(DURATION_SECONDS, duration.seconds) : '') + (duration.nanos !== 0 ? e.varint(DURATION_NANOS, duration.nanos) : '');
}

function encodeMeta(e: BinaryStringEncoder, meta: ResponseMeta): string {
  return (meta.tag !== '' ? e.string(META_TAG, meta.tag) : '') + (meta.ttl !== undefined ? e.delimited(META_TTL, encodeDuration(e, meta.ttl)) : '');
}

function encodeResource(e: BinaryStringEncoder, resource: Resource): string {
  return (
    (resource.resource !== undefined ? e.delimited(RESOURCE_RESOURCE, encodeStruct(e, resource.resource)) : '') +
    encodeMap(e, RESOURCE_CONNECTION_DETAILS, resource.connectionDetails, (value) => (value.length !== 0 ? e.bytes(ENTRY_VALUE, value) : '')) +
    (resource.ready !== 0 ? e.varint(RESOURCE_READY, resource.ready) : '')
  );
}

function encodeState(e: BinaryStringEncoder, state: State): string {
  return (
    (state.composite !== undefined ? e.delimited(STATE_COMPOSITE, encodeResource(e, state.composite)) : '') +
    encodeMap(e, STATE_RESOURCES, state.resources, (value) => (value !== undefined ? e.delimited(ENTRY_VALUE, encodeResource(e, value)) : ''))
  );
}

function encodeResult(e: BinaryStringEncoder, result: Result): string {
  return (
    (result.severity !== 0 ? e.varint(RESULT_SEVERITY, result.severity) : '') +
    (result.message !== '' ? e.string(RESULT_MESSAGE, result.message) : '') +
    (result.reason !== undefined ? e.string(RESULT_REASON, result.reason) : '') +
    (result.target !== undefined ? e.varint(RESULT_TARGET, result.target) : '')
  );
}

function encodeResourceSelector(e: BinaryStringEncoder, selector: ResourceSelector): string {
  const labels = selector.matchLabels;
  return (
    (selector.apiVersion !== '' ? e.string(SELECTOR_API_VERSION, selector.apiVersion) : '') +
    (selector.kind !== '' ? e.string(SELECTOR_KIND, selector.kind) : '') +
    (selector.matchName !== undefined ? e.string(SELECTOR_MATCH_NAME, selector.matchName) : '') +
    (labels !== undefined ? e.delimited(SELECTOR_MATCH_LABELS, encodeMap(e, ENTRY_KEY, labels.labels, (value) => (value !== '' ? e.string(ENTRY_VALUE, value) : ''))) : '') +
    (selector.namespace !== undefined ? e.string(SELECTOR_NAMESPACE, selector.namespace) : '')
  );
}

function encodeSchemaSelector(e: BinaryStringEncoder, selector: SchemaSelector): string {
  return (selector.apiVersion !== '' ? e.string(SELECTOR_API_VERSION, selector.apiVersion) : '') + (selector.kind !== '' ? e.string(SELECTOR_KIND, selector.kind) : '');
}

function encodeRequirements(e: BinaryStringEncoder, requirements: Requirements): string {
  const selectorEntry = (value: ResourceSelector | undefined) => (value !== undefined ? e.delimited(ENTRY_VALUE, encodeResourceSelector(e, value)) : '');
  return (
    encodeMap(e, REQUIREMENTS_EXTRA_RESOURCES, requirements.extraResources, selectorEntry) +
    encodeMap(e, REQUIREMENTS_RESOURCES, requirements.resources, selectorEntry) +
    encodeMap(e, REQUIREMENTS_SCHEMAS, requirements.schemas, (value: SchemaSelector | undefined) => (value !== undefined ? e.delimited(ENTRY_VALUE, encodeSchemaSelector(e, value)) : ''))
  );
}

function encodeCondition(e: BinaryStringEncoder, condition: Condition): string {
  return (
    (condition.type !== '' ? e.string(CONDITION_TYPE, condition.type) : '') +
    (condition.status !== 0 ? e.varint(CONDITION_STATUS, condition.status) : '') +
    (condition.reason !== '' ? e.string(CONDITION_REASON, condition.reason) : '') +
    (condition.message !== undefined ? e.string(CONDITION_MESSAGE, condition.message) : '') +
    (condition.target !== undefined ? e.varint(CONDITION_TARGET, condition.target) : '')
  );
}

function encodeResponse(e: BinaryStringEncoder, response: RunFunctionResponse): string {
  let out = '';
  if (response.meta !== undefined) out += e.delimited(RESPONSE_META, encodeMeta(e, response.meta));
  if (response.desired !== undefined) out += e.delimited(RESPONSE_DESIRED, encodeState(e, response.desired));
  for (const result of response.results) out += e.delimited(RESPONSE_RESULTS, encodeResult(e, result));
  if (response.context !== undefined) out += e.delimited(RESPONSE_CONTEXT, encodeStruct(e, response.context));
  if (response.requirements !== undefined) out += e.delimited(RESPONSE_REQUIREMENTS, encodeRequirements(e, response.requirements));
  for (const condition of response.conditions) out += e.delimited(RESPONSE_CONDITIONS, encodeCondition(e, condition));
  if (response.output !== undefined) out += e.delimited(RESPONSE_OUTPUT, encodeStruct(e, response.output));
  return out;
}

/**
 * Encodes a RunFunctionResponse to the bytes the SDK's
 * `RunFunctionResponse.encode(response).finish()` gives, byte for byte,
 * including its Struct conversions (undefined fields left out, undefined in a
 * list as an empty Value, a Date as `{}`, other non-JSON values refused).
 */
export function encodeRunFunctionResponse(response: RunFunctionResponse): Buffer {
  return encodeBinary((encoder) => encodeResponse(encoder, response));
}
