/**
 * RunFunctionResponse from the SDK's message shape to wire bytes, field for
 * field and in the same order as the SDK's `RunFunctionResponse.encode`
 * (ts-proto, apiextensions.fn.proto.v1), so the bytes are identical, with
 * Struct contents written straight from plain objects.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { Condition, Requirements, Resource, ResourceSelector, Result, RunFunctionResponse, SchemaSelector, State } from '@crossplane-org/function-sdk-typescript';
import { writeStruct } from './struct.js';

type ResponseMeta = NonNullable<RunFunctionResponse['meta']>;
type Duration = NonNullable<ResponseMeta['ttl']>;
type MatchLabels = NonNullable<ResourceSelector['matchLabels']>;

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

/** Writes `map` as repeated entries of `tag`, in key order of `Object.keys` (as the SDK's `Object.entries`). */
function writeMap<T>(writer: BinaryWriter, tag: number, map: Record<string, T>, writeEntryValue: (value: T) => void): void {
  for (const key of Object.keys(map)) {
    writer.uint32(tag).fork();
    if (key !== '') writer.uint32(ENTRY_KEY).string(key);
    writeEntryValue(map[key] as T);
    writer.join();
  }
}

/** A message-typed field: tag, then the message length-prefixed. */
function writeMessage<T>(writer: BinaryWriter, tag: number, message: T, writeFields: (writer: BinaryWriter, message: T) => void): void {
  writer.uint32(tag).fork();
  writeFields(writer, message);
  writer.join();
}

function writeDuration(writer: BinaryWriter, duration: Duration): void {
  if (duration.seconds !== 0) writer.uint32(DURATION_SECONDS).int64(duration.seconds);
  if (duration.nanos !== 0) writer.uint32(DURATION_NANOS).int32(duration.nanos);
}

function writeMeta(writer: BinaryWriter, meta: ResponseMeta): void {
  if (meta.tag !== '') writer.uint32(META_TAG).string(meta.tag);
  if (meta.ttl !== undefined) writeMessage(writer, META_TTL, meta.ttl, writeDuration);
}

function writeResource(writer: BinaryWriter, resource: Resource): void {
  if (resource.resource !== undefined) writeMessage(writer, RESOURCE_RESOURCE, resource.resource, writeStruct);
  writeMap(writer, RESOURCE_CONNECTION_DETAILS, resource.connectionDetails, (value) => {
    if (value.length !== 0) writer.uint32(ENTRY_VALUE).bytes(value);
  });
  if (resource.ready !== 0) writer.uint32(RESOURCE_READY).int32(resource.ready);
}

function writeState(writer: BinaryWriter, state: State): void {
  if (state.composite !== undefined) writeMessage(writer, STATE_COMPOSITE, state.composite, writeResource);
  writeMap(writer, STATE_RESOURCES, state.resources, (value) => {
    if (value !== undefined) writeMessage(writer, ENTRY_VALUE, value, writeResource);
  });
}

function writeResult(writer: BinaryWriter, result: Result): void {
  if (result.severity !== 0) writer.uint32(RESULT_SEVERITY).int32(result.severity);
  if (result.message !== '') writer.uint32(RESULT_MESSAGE).string(result.message);
  if (result.reason !== undefined) writer.uint32(RESULT_REASON).string(result.reason);
  if (result.target !== undefined) writer.uint32(RESULT_TARGET).int32(result.target);
}

function writeMatchLabels(writer: BinaryWriter, matchLabels: MatchLabels): void {
  writeMap(writer, ENTRY_KEY, matchLabels.labels, (value) => {
    if (value !== '') writer.uint32(ENTRY_VALUE).string(value);
  });
}

function writeResourceSelector(writer: BinaryWriter, selector: ResourceSelector): void {
  if (selector.apiVersion !== '') writer.uint32(SELECTOR_API_VERSION).string(selector.apiVersion);
  if (selector.kind !== '') writer.uint32(SELECTOR_KIND).string(selector.kind);
  if (selector.matchName !== undefined) writer.uint32(SELECTOR_MATCH_NAME).string(selector.matchName);
  if (selector.matchLabels !== undefined) writeMessage(writer, SELECTOR_MATCH_LABELS, selector.matchLabels, writeMatchLabels);
  if (selector.namespace !== undefined) writer.uint32(SELECTOR_NAMESPACE).string(selector.namespace);
}

function writeSchemaSelector(writer: BinaryWriter, selector: SchemaSelector): void {
  if (selector.apiVersion !== '') writer.uint32(SELECTOR_API_VERSION).string(selector.apiVersion);
  if (selector.kind !== '') writer.uint32(SELECTOR_KIND).string(selector.kind);
}

function writeRequirements(writer: BinaryWriter, requirements: Requirements): void {
  const selectorEntry = (value: ResourceSelector | undefined) => {
    if (value !== undefined) writeMessage(writer, ENTRY_VALUE, value, writeResourceSelector);
  };
  writeMap(writer, REQUIREMENTS_EXTRA_RESOURCES, requirements.extraResources, selectorEntry);
  writeMap(writer, REQUIREMENTS_RESOURCES, requirements.resources, selectorEntry);
  writeMap(writer, REQUIREMENTS_SCHEMAS, requirements.schemas, (value: SchemaSelector | undefined) => {
    if (value !== undefined) writeMessage(writer, ENTRY_VALUE, value, writeSchemaSelector);
  });
}

function writeCondition(writer: BinaryWriter, condition: Condition): void {
  if (condition.type !== '') writer.uint32(CONDITION_TYPE).string(condition.type);
  if (condition.status !== 0) writer.uint32(CONDITION_STATUS).int32(condition.status);
  if (condition.reason !== '') writer.uint32(CONDITION_REASON).string(condition.reason);
  if (condition.message !== undefined) writer.uint32(CONDITION_MESSAGE).string(condition.message);
  if (condition.target !== undefined) writer.uint32(CONDITION_TARGET).int32(condition.target);
}

/**
 * Encodes a RunFunctionResponse to the bytes the SDK's
 * `RunFunctionResponse.encode(response).finish()` gives, byte for byte,
 * including its Struct conversions (undefined fields left out, undefined in a
 * list as an empty Value, a Date as `{}`, other non-JSON values refused).
 */
export function encodeRunFunctionResponse(response: RunFunctionResponse): Buffer {
  const writer = new BinaryWriter();
  if (response.meta !== undefined) writeMessage(writer, RESPONSE_META, response.meta, writeMeta);
  if (response.desired !== undefined) writeMessage(writer, RESPONSE_DESIRED, response.desired, writeState);
  for (const result of response.results) writeMessage(writer, RESPONSE_RESULTS, result, writeResult);
  if (response.context !== undefined) writeMessage(writer, RESPONSE_CONTEXT, response.context, writeStruct);
  if (response.requirements !== undefined) writeMessage(writer, RESPONSE_REQUIREMENTS, response.requirements, writeRequirements);
  for (const condition of response.conditions) writeMessage(writer, RESPONSE_CONDITIONS, condition, writeCondition);
  if (response.output !== undefined) writeMessage(writer, RESPONSE_OUTPUT, response.output, writeStruct);
  const bytes = writer.finish();
  // A view, not a copy: finish() already returned a fresh array.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
