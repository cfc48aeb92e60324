/**
 * Which parts of a request's observed state a render read, and whether a later
 * request has the same values there.
 *
 * The handler and the composers take the XR and the observed composed
 * resources as plain objects, and read a few fields of them: the XR's identity
 * and spec, an id or ARN here, whether a resource exists there, the list of
 * names. {@link InputReads.track} hands out read-only views that write down
 * every value read through them, at its path; {@link InputReads.sameIn} then
 * says whether another request's observed state has the same value at every one
 * of those paths. If it does, a render of it reads exactly what the recorded
 * render read, and, being a pure function of what it reads, answers the same.
 * See incremental.ts.
 *
 * Granularity: objects are views and only what is read in them counts; arrays
 * are handed out as they are and count whole, so reading one item of a list ties
 * the render to the whole list. Coarser than needed at times, never stale.
 */
import type { StructPruning } from './codec/struct.js';
import { sameContent } from './same-content.js';

type JsonObject = Record<string, unknown>;

/** The observed state a render reads: the XR and the observed composed resources by name. */
export interface ObservedInputs {
  xr: JsonObject;
  resources: Readonly<Record<string, JsonObject>>;
}

/** Another request's observed state, for {@link InputReads.sameIn}: resources are decoded only when a read looks inside one. */
export interface ObservedSource {
  xr: JsonObject;
  /** Names of the observed composed resources. */
  names: { readonly size: number; has(name: string): boolean };
  /** The observed resource `name`, with at least the keys `pruning` lists (all when undefined). */
  resource(name: string, pruning: StructPruning | undefined): JsonObject | undefined;
}

/** A pruning being built: nested keys wanted, or 'whole' for a value read whole. */
type Wanted = Map<string, Wanted> | 'whole';

/** Adds `path` to `wanted`: the object at the end of it read whole, or only as far as later paths into it want. */
function want(wanted: Wanted, path: readonly string[], whole: boolean): Wanted {
  if (wanted === 'whole') return wanted;
  if (path.length === 0) return whole ? 'whole' : wanted;
  const [key, ...rest] = path as [string, ...string[]];
  wanted.set(key, want(wanted.get(key) ?? new Map<string, Wanted>(), rest, whole));
  return wanted;
}

function toPruning(wanted: Wanted): StructPruning | undefined {
  if (wanted === 'whole') return undefined;
  return new Map([...wanted].map(([key, nested]) => [key, toPruning(nested)]));
}

/** What a read found: the value itself for JSON primitives and arrays, a marker for an object or nothing. */
type Found = string | number | boolean | null | readonly unknown[] | typeof OBJECT | typeof ABSENT | typeof NOT_JSON;

/** One recorded read: the path from the root ({@link ObservedInputs}) and what was found there. */
interface Read {
  path: readonly string[];
  /** 'keys': the object's key list was read (found: the keys, sorted, joined); 'value': the value at path. */
  kind: 'keys' | 'value';
  found: Found;
}

/** Objects count by kind only: reads inside them count on their own. */
const OBJECT = Symbol('object');
const ABSENT = Symbol('absent');
/** Decoded Structs hold only JSON values; anything else counts as changed every time. */
const NOT_JSON = Symbol('not JSON');

/**
 * What a read found, as compared later ({@link same}). Arrays count whole: the
 * array itself is kept (it belongs to the request it was decoded from).
 */
function describe(value: unknown): Found {
  switch (typeof value) {
    case 'undefined':
      return ABSENT;
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      if (value === null || Array.isArray(value)) return value as null | unknown[];
      return OBJECT;
    default:
      return NOT_JSON;
  }
}

/** Whether `value` is what a read found: arrays by content (their objects' keys come in any order). */
function same(found: Found, value: unknown): boolean {
  if (found === NOT_JSON) return false;
  const now = describe(value);
  if (Array.isArray(found)) return Array.isArray(now) && sameContent(found, now);
  return Object.is(found, now);
}

/**
 * An object's key list, sorted: its order is Crossplane's random map order, and
 * a render may not depend on it (test/determinism.test.ts holds every example to that).
 */
const keysOf = (value: unknown): string => (typeof value === 'object' && value !== null ? Object.keys(value).sort().join('\u0000') : '');

const own = (object: JsonObject, key: string): unknown => (Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined);

/** Arrays go to the render as they are, and are kept as found: frozen, so neither can change the other's. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const item of Object.values(value)) deepFreeze(item);
  return Object.freeze(value);
}

function readOnly(): never {
  throw new TypeError('internal error: a render tried to modify observed state');
}

/** Records the reads made through views of one request's observed state; see the module comment. */
export class InputReads {
  private readonly reads = new Map<string, Read>();

  /** Read-only views of `inputs` that record every read made through them (and through the views they hand out). */
  track(inputs: ObservedInputs): ObservedInputs {
    return this.view(inputs as unknown as JsonObject, []) as unknown as ObservedInputs;
  }

  /** How many distinct reads were recorded. */
  get size(): number {
    return this.reads.size;
  }

  private record(path: readonly string[], kind: Read['kind'], found: Found): void {
    const key = `${kind}\u0001${path.join('\u0000')}`;
    if (!this.reads.has(key)) this.reads.set(key, { path, kind, found });
  }

  private child(target: JsonObject, path: readonly string[], key: string): unknown {
    const value = own(target, key);
    const childPath = [...path, key];
    this.record(childPath, 'value', describe(value));
    if (Array.isArray(value)) return deepFreeze(value);
    return typeof value === 'object' && value !== null ? this.view(value as JsonObject, childPath) : value;
  }

  /**
   * A Proxy over an empty stand-in, forwarding to `target`: a Proxy of the object
   * itself would have to hand out the object's own children (the Proxy invariants
   * for frozen properties), not views of them.
   */
  private view(target: JsonObject, path: readonly string[]): object {
    return new Proxy(
      {},
      {
        get: (_stand, key) => (typeof key === 'symbol' ? Reflect.get(target, key) : this.child(target, path, key)),
        has: (_stand, key) => {
          if (typeof key === 'symbol') return key in target;
          this.record([...path, key], 'value', describe(own(target, key)));
          return Object.prototype.hasOwnProperty.call(target, key);
        },
        ownKeys: () => {
          this.record(path, 'keys', keysOf(target));
          return Reflect.ownKeys(target);
        },
        getOwnPropertyDescriptor: (_stand, key) => {
          if (typeof key === 'symbol' || !Object.prototype.hasOwnProperty.call(target, key)) {
            if (typeof key === 'string') this.record([...path, key], 'value', ABSENT);
            return undefined;
          }
          // Configurable: the stand-in has no such property, and a Proxy may not report a missing one as fixed.
          return { value: this.child(target, path, key), writable: false, enumerable: true, configurable: true };
        },
        getPrototypeOf: () => Object.getPrototypeOf(target) as object | null,
        set: readOnly,
        defineProperty: readOnly,
        deleteProperty: readOnly,
        setPrototypeOf: readOnly,
        preventExtensions: readOnly,
      },
    );
  }

  /** The recorded reads grouped for {@link sameIn}; built once, after the render. */
  private compiled: CompiledReads | undefined;

  private compile(): CompiledReads {
    if (this.compiled !== undefined) return this.compiled;
    const compiled: CompiledReads = { elsewhere: [], presence: [], names: undefined, resources: new Map() };
    const wanted = new Map<string, Wanted>();
    for (const read of this.reads.values()) {
      const [root, name, ...rest] = read.path;
      if (root !== 'resources' || name === undefined) {
        compiled.elsewhere.push(read);
        continue;
      }
      if (rest.length === 0 && read.kind === 'value' && (read.found === OBJECT || read.found === ABSENT)) {
        compiled.presence.push({ name, present: read.found === OBJECT });
        continue;
      }
      let resource = compiled.resources.get(name);
      if (resource === undefined) {
        resource = { pruning: undefined, reads: [] };
        compiled.resources.set(name, resource);
      }
      resource.reads.push({ path: rest, kind: read.kind, found: read.found });
      // What of the resource to decode: the paths read; objects whose keys were listed, and values, whole.
      const whole = read.kind === 'keys' || read.found !== OBJECT;
      wanted.set(name, want(wanted.get(name) ?? new Map<string, Wanted>(), rest, whole));
    }
    for (const [name, resource] of compiled.resources) resource.pruning = toPruning(wanted.get(name) ?? 'whole');
    // The list of resource names, if read, is checked as a set: its order is the wire's.
    const listed = compiled.elsewhere.find((read) => read.kind === 'keys' && read.path.length === 1 && read.path[0] === 'resources');
    if (listed !== undefined) {
      compiled.names = typeof listed.found === 'string' && listed.found !== '' ? listed.found.split('\u0000') : [];
      compiled.elsewhere = compiled.elsewhere.filter((read) => read !== listed);
    }
    this.compiled = compiled;
    return compiled;
  }

  /** Whether every recorded read finds the same in `source`. */
  sameIn(source: ObservedSource): boolean {
    const compiled = this.compile();
    const names = compiled.names;
    if (names !== undefined && (names.length !== source.names.size || !names.every((name) => source.names.has(name)))) return false;
    for (const { name, present } of compiled.presence) if (source.names.has(name) !== present) return false;
    for (const read of compiled.elsewhere) {
      const [root, ...rest] = read.path;
      const top = root === undefined ? { xr: source.xr, resources: {} } : root === 'xr' ? source.xr : root === 'resources' ? {} : undefined;
      if (!matches(walk(top, rest), read)) return false;
    }
    for (const [name, { pruning, reads }] of compiled.resources) {
      const resource = source.names.has(name) ? source.resource(name, pruning) : undefined;
      for (const read of reads) if (!matches(walk(resource, read.path), read)) return false;
    }
    return true;
  }
}

/** Reads grouped by what they read, for {@link InputReads.sameIn}. */
interface CompiledReads {
  /** Reads of the XR and of anything not below one observed resource. */
  elsewhere: Read[];
  /** Whether an observed resource is there at all: answered from the names, nothing decoded. */
  presence: Array<{ name: string; present: boolean }>;
  /** The observed resource names, when their list was read. */
  names: string[] | undefined;
  /** Per observed resource read into: what of it to decode, and the reads, with paths below the resource. */
  resources: Map<string, { pruning: StructPruning | undefined; reads: Read[] }>;
}

/** The value at `path` below `value`; undefined where the path leaves objects. */
function walk(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = own(at as JsonObject, key);
  }
  return at;
}

function matches(value: unknown, read: Read): boolean {
  return read.kind === 'keys' ? keysOf(value) === read.found : same(read.found, value);
}
