/**
 * RunFunctionRequest from wire bytes to the SDK's message shape, field for
 * field as the SDK's `RunFunctionRequest.decode` (ts-proto, apiextensions.fn.proto.v1),
 * with Struct contents read straight into plain objects.
 */
import type { Credentials, Resource, Resources, RunFunctionRequest, Schema, State } from '@crossplane-org/function-sdk-typescript';
import { Reader } from './reader.js';
import { sameContent } from '../same-content.js';
import { structMatches } from './struct-match.js';
import { expectEnd, fieldEnd, MAX_DECODE_DEPTH, PROTO_KEY, readStruct, skipField, type StructObject, type StructPruning } from './struct.js';

type RequestMeta = NonNullable<RunFunctionRequest['meta']>;

// Tags (field number << 3 | wire type) of the request's messages.
const REQUEST_META = 10;
const REQUEST_OBSERVED = 18;
const REQUEST_DESIRED = 26;
const REQUEST_INPUT = 34;
const REQUEST_CONTEXT = 42;
const REQUEST_EXTRA_RESOURCES = 50;
const REQUEST_CREDENTIALS = 58;
const REQUEST_REQUIRED_RESOURCES = 66;
const REQUEST_REQUIRED_SCHEMAS = 74;
const META_TAG = 10;
const META_CAPABILITIES_UNPACKED = 16;
const META_CAPABILITIES_PACKED = 18;
const STATE_COMPOSITE = 10;
const STATE_RESOURCES = 18;
const RESOURCE_RESOURCE = 10;
const RESOURCE_CONNECTION_DETAILS = 18;
const RESOURCE_READY = 24;
const RESOURCES_ITEMS = 10;
const CREDENTIALS_CREDENTIAL_DATA = 10;
const CREDENTIAL_DATA_DATA = 10;
const SCHEMA_OPENAPI_V3 = 10;
const ENTRY_KEY = 10;
const ENTRY_VALUE = 18;

/** Reads a message's length prefix and checks the depth limit the SDK applies; returns where the message ends. */
function open(reader: Reader, end: number, depth: number): number {
  if (depth >= MAX_DECODE_DEPTH) throw new Error('protobuf decode recursion limit exceeded');
  return fieldEnd(reader, reader.uint32(), end);
}

/**
 * Reads one map entry (key field 1, value field 2) and stores it in `map`,
 * as ts-proto does: an entry without a value is left out, a later entry for
 * the same key wins, and `__proto__` is dropped (see {@link PROTO_KEY}).
 */
function readMapEntry<T>(reader: Reader, end: number, depth: number, map: Record<string, T>, readValue: (entryEnd: number) => T, missing: T | undefined): void {
  const entryEnd = open(reader, end, depth);
  let key = '';
  let value = missing;
  while (reader.pos < entryEnd) {
    const tag = reader.uint32();
    if (tag === ENTRY_KEY) key = reader.text();
    else if (tag === ENTRY_VALUE) value = readValue(entryEnd);
    else skipField(reader, tag, entryEnd);
  }
  expectEnd(reader, entryEnd);
  if (value !== undefined && key !== PROTO_KEY) map[key] = value;
}

/** bytes fields: a copy as a Buffer, like the SDK (the request buffer is gRPC's and is reused). */
function readBuffer(reader: Reader, end: number): Buffer {
  const bytes = Buffer.from(reader.bytes());
  if (reader.pos > end) throw new RangeError('premature EOF: field longer than its enclosing message');
  return bytes;
}

function readMeta(reader: Reader, end: number, depth: number): RequestMeta {
  const metaEnd = open(reader, end, depth);
  const meta: RequestMeta = { tag: '', capabilities: [] };
  while (reader.pos < metaEnd) {
    const tag = reader.uint32();
    if (tag === META_TAG) meta.tag = reader.text();
    else if (tag === META_CAPABILITIES_UNPACKED) meta.capabilities.push(reader.int32());
    else if (tag === META_CAPABILITIES_PACKED) {
      const packedEnd = fieldEnd(reader, reader.uint32(), metaEnd);
      while (reader.pos < packedEnd) meta.capabilities.push(reader.int32());
      expectEnd(reader, packedEnd);
    } else skipField(reader, tag, metaEnd);
  }
  expectEnd(reader, metaEnd);
  return meta;
}

function readResource(reader: Reader, end: number, depth: number): Resource {
  const resourceEnd = open(reader, end, depth);
  const resource: Resource = { resource: undefined, connectionDetails: {}, ready: 0 };
  while (reader.pos < resourceEnd) {
    const tag = reader.uint32();
    if (tag === RESOURCE_RESOURCE) resource.resource = readStruct(reader, resourceEnd, depth + 1);
    else if (tag === RESOURCE_CONNECTION_DETAILS) {
      readMapEntry(reader, resourceEnd, depth + 1, resource.connectionDetails, (entryEnd) => readBuffer(reader, entryEnd), Buffer.alloc(0));
    } else if (tag === RESOURCE_READY) resource.ready = reader.int32();
    else skipField(reader, tag, resourceEnd);
  }
  expectEnd(reader, resourceEnd);
  return resource;
}

function readState(reader: Reader, end: number, depth: number): State {
  const stateEnd = open(reader, end, depth);
  const state: State = { composite: undefined, resources: {} };
  while (reader.pos < stateEnd) {
    const tag = reader.uint32();
    if (tag === STATE_COMPOSITE) state.composite = readResource(reader, stateEnd, depth + 1);
    else if (tag === STATE_RESOURCES) {
      readMapEntry(reader, stateEnd, depth + 1, state.resources, (entryEnd) => readResource(reader, entryEnd, depth + 2), undefined);
    } else skipField(reader, tag, stateEnd);
  }
  expectEnd(reader, stateEnd);
  return state;
}

function readResources(reader: Reader, end: number, depth: number): Resources {
  const resourcesEnd = open(reader, end, depth);
  const resources: Resources = { items: [] };
  while (reader.pos < resourcesEnd) {
    const tag = reader.uint32();
    if (tag === RESOURCES_ITEMS) resources.items.push(readResource(reader, resourcesEnd, depth + 1));
    else skipField(reader, tag, resourcesEnd);
  }
  expectEnd(reader, resourcesEnd);
  return resources;
}

function readCredentials(reader: Reader, end: number, depth: number): Credentials {
  const credentialsEnd = open(reader, end, depth);
  const credentials: Credentials = { credentialData: undefined };
  while (reader.pos < credentialsEnd) {
    const tag = reader.uint32();
    if (tag === CREDENTIALS_CREDENTIAL_DATA) {
      const dataEnd = open(reader, credentialsEnd, depth + 1);
      const credentialData = { data: {} as Record<string, Buffer> };
      while (reader.pos < dataEnd) {
        const dataTag = reader.uint32();
        if (dataTag === CREDENTIAL_DATA_DATA) {
          readMapEntry(reader, dataEnd, depth + 2, credentialData.data, (entryEnd) => readBuffer(reader, entryEnd), Buffer.alloc(0));
        } else skipField(reader, dataTag, dataEnd);
      }
      expectEnd(reader, dataEnd);
      credentials.credentialData = credentialData;
    } else skipField(reader, tag, credentialsEnd);
  }
  expectEnd(reader, credentialsEnd);
  return credentials;
}

function readSchema(reader: Reader, end: number, depth: number): Schema {
  const schemaEnd = open(reader, end, depth);
  const schema: Schema = { openapiV3: undefined };
  while (reader.pos < schemaEnd) {
    const tag = reader.uint32();
    if (tag === SCHEMA_OPENAPI_V3) schema.openapiV3 = readStruct(reader, schemaEnd, depth + 1);
    else skipField(reader, tag, schemaEnd);
  }
  expectEnd(reader, schemaEnd);
  return schema;
}

/**
 * The request's `meta.tag`, read without decoding anything else; undefined
 * when the request has none or its framing is malformed (the decoder then says why).
 */
export function peekRequestTag(bytes: Uint8Array): string | undefined {
  try {
    const reader = new Reader(bytes);
    let tag: string | undefined;
    while (reader.pos < bytes.length) {
      const fieldTag = reader.uint32();
      if (fieldTag !== REQUEST_META) {
        skipField(reader, fieldTag, bytes.length);
        continue;
      }
      const metaEnd = open(reader, bytes.length, 1);
      while (reader.pos < metaEnd) {
        const metaTag = reader.uint32();
        if (metaTag === META_TAG) tag = reader.text();
        else skipField(reader, metaTag, metaEnd);
      }
      expectEnd(reader, metaEnd);
    }
    return tag;
  } catch {
    return undefined;
  }
}

/** A set of names as LazyRequest.composedNames answers it: looked up in place, not copied into a Set. */
export interface NameSet {
  readonly size: number;
  has(name: string): boolean;
}

/** Where one observed composed resource's Resource message sits in the request bytes. */
interface ResourceRange {
  start: number;
  end: number;
  /** Whether the Resource message carries its `resource` Struct (Crossplane's always do). */
  hasStruct: boolean;
}

/** The request's maps of resources, decoded lazily: `required_resources` and the deprecated `extra_resources`. */
export type ResourceMapField = 'requiredResources' | 'extraResources';

const RESOURCE_MAP_TAGS: Record<ResourceMapField, number> = { requiredResources: REQUEST_REQUIRED_RESOURCES, extraResources: REQUEST_EXTRA_RESOURCES };

/** Thrown inside a match to say: decode the map and compare instead. */
const DECODE_INSTEAD = Symbol('decode instead');

/**
 * A request decoded except for its observed composed resources and its maps
 * of resources (the EnvironmentConfigs), which are only located: decoded when
 * asked for, or compared in place with what an earlier request held (see
 * incremental.ts: a request that changed in a few resources need not decode
 * the others, nor its EnvironmentConfigs).
 */
export class LazyRequest {
  /**
   * The request, with `observed.resources`, `requiredResources` and
   * `extraResources` empty: see {@link composedNames}, {@link observedResource}
   * and {@link resourceMap}.
   */
  readonly request: RunFunctionRequest;
  /** Bytes of the request outside its observed state: what the rest of it takes to decode and keep. */
  readonly otherBytes: number;
  private readonly parts: LazyParts;
  private readonly decodedMaps = new Map<ResourceMapField, Record<string, Resources>>();
  /** One reader for the parts decoded later, moved to each. */
  private readonly reader: Reader;

  constructor(bytes: Uint8Array) {
    this.reader = new Reader(bytes);
    this.parts = { observed: new Map(), observedAt: { start: 0, end: 0 }, resourceMaps: new Map() };
    this.request = decodeRequest(bytes, this.parts);
    this.otherBytes = bytes.length - (this.parts.observedAt.end - this.parts.observedAt.start);
  }

  /** Names of the observed composed resources that carry a resource (those the composers see). */
  composedNames(): NameSet {
    const observed = this.parts.observed;
    let size = 0;
    for (const range of observed.values()) if (range.hasStruct) size += 1;
    return { size, has: (name) => observed.get(name)?.hasStruct === true };
  }

  /** The observed composed resource `name` as the full decoder gives it, decoded now; undefined if there is none. */
  observedResource(name: string): Resource | undefined {
    const range = this.parts.observed.get(name);
    if (range === undefined) return undefined;
    this.reader.pos = range.start;
    return readResource(this.reader, range.end, 3);
  }

  /**
   * The `resource` Struct of observed composed resource `name` with only the
   * keys `pruning` lists (see StructPruning); undefined if there is none.
   */
  observedStruct(name: string, pruning: StructPruning | undefined): StructObject | undefined {
    const range = this.parts.observed.get(name);
    if (range === undefined || !range.hasStruct) return undefined;
    const reader = this.reader;
    reader.pos = range.start;
    const resourceEnd = open(reader, range.end, 3);
    let struct: StructObject | undefined;
    while (reader.pos < resourceEnd) {
      const tag = reader.uint32();
      if (tag === RESOURCE_RESOURCE) struct = readStruct(reader, resourceEnd, 4, pruning);
      else skipField(reader, tag, resourceEnd);
    }
    return struct;
  }

  /** The map of resources `field` as the full decoder gives it (decoded on first use). */
  resourceMap(field: ResourceMapField): Record<string, Resources> {
    const decoded = this.decodedMaps.get(field);
    if (decoded !== undefined) return decoded;
    const map: Record<string, Resources> = {};
    for (const start of this.parts.resourceMaps.get(RESOURCE_MAP_TAGS[field]) ?? []) {
      this.reader.pos = start;
      readMapEntry(this.reader, this.reader.len, 1, map, (entryEnd) => readResources(this.reader, entryEnd, 2), undefined);
    }
    this.decodedMaps.set(field, map);
    return map;
  }

  /**
   * Whether the map of resources `field` holds what `expected` (a decoded map)
   * holds, compared in place without decoding (codec/struct-match.ts): the
   * answer of `sameContent(resourceMap(field), expected)`.
   */
  resourceMapMatches(field: ResourceMapField, expected: Readonly<Record<string, Resources>>): boolean {
    try {
      return this.matchResourceMap(field, expected);
    } catch (error) {
      if (error !== DECODE_INSTEAD) throw error;
      return sameContent(this.resourceMap(field), expected);
    }
  }

  private matchResourceMap(field: ResourceMapField, expected: Readonly<Record<string, Resources>>): boolean {
    const reader = this.reader;
    const seen = new Set<string>();
    for (const start of this.parts.resourceMaps.get(RESOURCE_MAP_TAGS[field]) ?? []) {
      reader.pos = start;
      const entryEnd = open(reader, reader.len, 1);
      if (reader.pos >= entryEnd || reader.uint32() !== ENTRY_KEY) throw DECODE_INSTEAD;
      const key = reader.text();
      if (key === PROTO_KEY || seen.has(key) || reader.pos >= entryEnd || reader.uint32() !== ENTRY_VALUE) throw DECODE_INSTEAD;
      seen.add(key);
      const resources = Object.prototype.hasOwnProperty.call(expected, key) ? expected[key] : undefined;
      if (resources === undefined || !matchResources(reader, entryEnd, 2, resources)) return false;
      if (reader.pos !== entryEnd) throw DECODE_INSTEAD;
    }
    return seen.size === Object.keys(expected).length;
  }

  /** The request as {@link decodeRunFunctionRequest} gives it: everything decoded. */
  full(): RunFunctionRequest {
    const resources: Record<string, Resource> = {};
    for (const name of this.parts.observed.keys()) resources[name] = this.observedResource(name) as Resource;
    return {
      ...this.request,
      observed: this.request.observed === undefined ? undefined : { ...this.request.observed, resources },
      extraResources: this.resourceMap('extraResources'),
      requiredResources: this.resourceMap('requiredResources'),
    };
  }
}

/** A Resources message against a decoded one, as LazyRequest.resourceMapMatches compares. */
function matchResources(reader: Reader, end: number, depth: number, expected: Resources): boolean {
  const resourcesEnd = open(reader, end, depth);
  let index = 0;
  while (reader.pos < resourcesEnd) {
    const tag = reader.uint32();
    if (tag !== RESOURCES_ITEMS) {
      skipField(reader, tag, resourcesEnd);
      continue;
    }
    const item = expected.items[index];
    if (item === undefined || !matchResource(reader, resourcesEnd, depth + 1, item)) return false;
    index += 1;
  }
  expectEnd(reader, resourcesEnd);
  return index === expected.items.length;
}

/** A Resource message against a decoded one: its Struct compared in place, the rest decoded (small). */
function matchResource(reader: Reader, end: number, depth: number, expected: Resource): boolean {
  const resourceEnd = open(reader, end, depth);
  let struct = false;
  const connectionDetails: Record<string, Buffer> = {};
  let ready = 0;
  while (reader.pos < resourceEnd) {
    const tag = reader.uint32();
    if (tag === RESOURCE_RESOURCE) {
      // A second Struct replaces the first when decoding.
      if (struct) throw DECODE_INSTEAD;
      struct = true;
      if (!structMatches(reader, resourceEnd, depth + 1, expected.resource)) return false;
    } else if (tag === RESOURCE_CONNECTION_DETAILS) {
      readMapEntry(reader, resourceEnd, depth + 1, connectionDetails, (entryEnd) => readBuffer(reader, entryEnd), Buffer.alloc(0));
    } else if (tag === RESOURCE_READY) ready = reader.int32();
    else skipField(reader, tag, resourceEnd);
  }
  expectEnd(reader, resourceEnd);
  return (struct || expected.resource === undefined) && ready === expected.ready && sameContent(connectionDetails, expected.connectionDetails);
}

/**
 * Skips one observed map entry, checking its framing, and notes where its
 * Resource message is, as readMapEntry would store it (an entry without a value
 * is left out, a later entry for the same key wins in the first one's place,
 * `__proto__` is dropped).
 */
function noteResourceEntry(reader: Reader, end: number, depth: number, ranges: Map<string, ResourceRange>): void {
  const entryEnd = open(reader, end, depth);
  let key = '';
  let range: ResourceRange | undefined;
  while (reader.pos < entryEnd) {
    const tag = reader.uint32();
    if (tag === ENTRY_KEY) key = reader.text();
    else if (tag === ENTRY_VALUE) {
      const start = reader.pos;
      const resourceEnd = open(reader, entryEnd, depth + 1);
      // Crossplane's Resources start with their Struct: then nothing else needs reading now.
      let hasStruct = reader.pos < resourceEnd && reader.source[reader.pos] === RESOURCE_RESOURCE;
      if (!hasStruct) {
        while (reader.pos < resourceEnd) {
          const resourceTag = reader.uint32();
          hasStruct ||= resourceTag === RESOURCE_RESOURCE;
          skipField(reader, resourceTag, resourceEnd);
        }
        expectEnd(reader, resourceEnd);
      }
      reader.pos = resourceEnd;
      range = { start, end: resourceEnd, hasStruct };
    } else skipField(reader, tag, entryEnd);
  }
  expectEnd(reader, entryEnd);
  if (range === undefined || key === PROTO_KEY) return;
  ranges.set(key, range);
}

function readObservedState(reader: Reader, end: number, depth: number, ranges: Map<string, ResourceRange>): State {
  const stateEnd = open(reader, end, depth);
  const state: State = { composite: undefined, resources: {} };
  while (reader.pos < stateEnd) {
    const tag = reader.uint32();
    if (tag === STATE_COMPOSITE) state.composite = readResource(reader, stateEnd, depth + 1);
    else if (tag === STATE_RESOURCES) noteResourceEntry(reader, stateEnd, depth + 1, ranges);
    else skipField(reader, tag, stateEnd);
  }
  expectEnd(reader, stateEnd);
  return state;
}

/**
 * Decodes a RunFunctionRequest: the same value the SDK's
 * `RunFunctionRequest.decode` gives for every well-formed message (unknown
 * fields skipped). Malformed bytes throw: a length past its enclosing
 * message, a truncated field, tag 0 or a stray end-group tag, nesting of
 * `MAX_DECODE_DEPTH` (100) messages, as the SDK.
 */
export function decodeRunFunctionRequest(bytes: Uint8Array): RunFunctionRequest {
  return decodeRequest(bytes, undefined);
}

/** Where a lazily decoded request's undecoded parts are. */
interface LazyParts {
  /** Observed composed resources by name. */
  observed: Map<string, ResourceRange>;
  /** The observed state's field. */
  observedAt: { start: number; end: number };
  /** Where each map entry of extra_resources and required_resources starts (its length prefix), by field tag. */
  resourceMaps: Map<number, number[]>;
}

/** Notes where a map entry starts and skips it, checking its framing. */
function noteEntry(reader: Reader, end: number, starts: number[]): void {
  starts.push(reader.pos);
  reader.pos = open(reader, end, 1);
}

/** The decoder; with `lazy`, observed composed resources and the resource maps are only located, into it. */
function decodeRequest(bytes: Uint8Array, lazy: LazyParts | undefined): RunFunctionRequest {
  const reader = new Reader(bytes);
  const end = bytes.length;
  const request: RunFunctionRequest = {
    meta: undefined,
    observed: undefined,
    desired: undefined,
    input: undefined,
    context: undefined,
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case REQUEST_META:
        request.meta = readMeta(reader, end, 1);
        break;
      case REQUEST_OBSERVED:
        if (lazy === undefined) request.observed = readState(reader, end, 1);
        else {
          // A second observed field replaces the first, as in the decoder (ts-proto does not merge).
          lazy.observed.clear();
          lazy.observedAt.start = reader.pos;
          request.observed = readObservedState(reader, end, 1, lazy.observed);
          lazy.observedAt.end = reader.pos;
        }
        break;
      case REQUEST_DESIRED:
        request.desired = readState(reader, end, 1);
        break;
      case REQUEST_INPUT:
        request.input = readStruct(reader, end, 1);
        break;
      case REQUEST_CONTEXT:
        request.context = readStruct(reader, end, 1);
        break;
      case REQUEST_CREDENTIALS:
        readMapEntry(reader, end, 1, request.credentials, (entryEnd) => readCredentials(reader, entryEnd, 2), undefined);
        break;
      case REQUEST_EXTRA_RESOURCES:
      case REQUEST_REQUIRED_RESOURCES:
        if (lazy !== undefined) {
          const starts = lazy.resourceMaps.get(tag) ?? [];
          lazy.resourceMaps.set(tag, starts);
          noteEntry(reader, end, starts);
        } else readMapEntry(reader, end, 1, tag === REQUEST_EXTRA_RESOURCES ? request.extraResources : request.requiredResources, (entryEnd) => readResources(reader, entryEnd, 2), undefined);
        break;
      case REQUEST_REQUIRED_SCHEMAS:
        readMapEntry(reader, end, 1, request.requiredSchemas, (entryEnd) => readSchema(reader, entryEnd, 2), undefined);
        break;
      default:
        skipField(reader, tag, end);
    }
  }
  expectEnd(reader, end);
  return request;
}
