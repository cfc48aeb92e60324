/**
 * Incremental rendering: answering a request that changed from what the last
 * render of the same XR read, without composing again when what changed is
 * nothing that render read.
 *
 * Between two reconciles of an XR most of the request changes in ways no
 * composer reads: the XR's resourceVersion and status, composed resources'
 * conditions, timestamps and resourceVersions. A render is a pure function of
 * what it reads, so for every XR the last render is kept as
 * - the request's other inputs, decoded (desired state, context, input,
 *   schemas, and the required resources such as the EnvironmentConfigs, which
 *   a later request's bytes are compared with in place: codec/struct-match.ts),
 * - every value it read from the XR and the observed composed resources, at its
 *   path (input-reads.ts),
 * - its encoded response, after `meta`.
 * A request with the same other inputs and the same value at each of those
 * paths gets that response, behind its own `meta` (tag, TTL). Only the observed
 * resources a read looks into are decoded; the others are skipped over.
 *
 * Anything else composes as before and replaces the XR's entry. Only composed
 * answers are kept (Fatals and requirement rounds are cheap and rare), and a
 * request with credentials is never kept (the key would hold them).
 * docs/function.md, "Incremental rendering".
 */
import type { Resources, RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { encodeRunFunctionResponse } from './codec/index.js';
import { LazyRequest } from './codec/request.js';
import { InputReads } from './input-reads.js';
import { runFunction, type RunOptions, type RunSummary } from './run-function.js';
import { sameContent } from './same-content.js';

type JsonObject = Record<string, unknown>;

/**
 * 8 MiB: the last render of about 30 fully created prod Environments, or of
 * several hundred project XRs. An XR whose entry was evicted composes in full
 * on its next change (and is answered from the response cache while it does not change).
 */
export const DEFAULT_RENDER_MEMO_BYTES = 8 * 1024 * 1024;

/**
 * Answers under 16 KiB are not kept. They are project XRs' (Storage, Network,
 * Database: 1-9 KiB), which compose in 0.05-0.35 ms: about what checking a
 * request against a kept render costs (comparing its EnvironmentConfig is most
 * of it), while recording what the render reads costs a quarter more. An XR
 * whose last answer was under this is composed without recording, until one
 * of its answers is over it again.
 */
export const MIN_KEPT_RESPONSE_BYTES = 16 * 1024;

/** XRs remembered as answering small: a fleet's project XRs, at about 100 bytes each. */
const MAX_SMALL_XRS = 16_384;

/** What an entry costs on the heap besides its response bytes, per recorded read (the path array, the Map entry, the key). */
const BYTES_PER_READ = 256;
const ENTRY_OVERHEAD_BYTES = 1024;
/** Heap bytes of decoded request content per encoded byte (about 6 measured for EnvironmentConfigs, Node 20). */
const DECODED_BYTES_PER_BYTE = 8;
/**
 * Distinct sets of other inputs kept at once. Most XRs share theirs (the
 * EnvironmentConfigs of one environment), so entries share one decoded copy;
 * when more are needed the least recently used goes, with the entries using it.
 */
const MAX_SHARED_INPUTS = 32;

/** A request's inputs besides its observed state, decoded. */
interface OtherInputs {
  /** Desired state, input, context, required schemas: small, compared decoded. */
  rest: readonly unknown[];
  /** The maps of resources (EnvironmentConfigs, the Hub): compared in place with the request's bytes. */
  requiredResources: Readonly<Record<string, Resources>>;
  extraResources: Readonly<Record<string, Resources>>;
}

/** The request's inputs besides its observed state, shared by every entry with the same content. */
interface SharedInputs {
  value: OtherInputs;
  cost: number;
  /** The XRs whose entries use it. */
  users: Set<string>;
}

/**
 * Bytes kept free in front of a kept response for its meta (tag and TTL: a
 * Crossplane tag makes it 76 bytes), so a reused answer is written in place
 * rather than copied whole behind a new meta.
 */
const META_ROOM = 128;

/** The last render of one XR. */
interface LastRender {
  inputs: SharedInputs;
  reads: InputReads;
  /** {@link META_ROOM} free bytes, then the encoded response without its meta: every field after it. */
  tail: Buffer;
  summary: RunSummary;
  /** What the entry counts against the budget, besides its inputs. */
  cost: number;
}

/** Request bytes that are not a well-formed RunFunctionRequest; the message says what the decoder found. */
export class MalformedRequestError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'MalformedRequestError';
  }
}

/** Runs a decoding step, turning what it throws into a {@link MalformedRequestError}. */
function decoding<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw new MalformedRequestError(error);
  }
}

/** One answer of {@link IncrementalRenderer.render}. */
export interface IncrementalAnswer {
  /**
   * The encoded response. A reused one is a view into the renderer's memory,
   * valid until its next `render`: send (or copy) it first.
   */
  answer: Buffer;
  summary: RunSummary;
  /** True when the answer is the XR's last render's, composed again for nothing. */
  reused: boolean;
}

/** The XR a request is about, as the key of its last render; undefined when the request has none. */
function scopeOf(xr: JsonObject | undefined): string | undefined {
  if (xr === undefined) return undefined;
  const metadata = (typeof xr.metadata === 'object' && xr.metadata !== null ? xr.metadata : {}) as JsonObject;
  return JSON.stringify([xr.apiVersion, xr.kind, metadata.namespace, metadata.name, metadata.uid]);
}

/** The small part of the request's other inputs, decoded eagerly. */
function restOf(req: RunFunctionRequest): unknown[] {
  return [req.desired ?? null, req.input ?? null, req.context ?? null, req.requiredSchemas];
}

/** Whether `lazy`'s other inputs are `kept`: the maps of resources compared without decoding them. */
function sameOtherInputs(lazy: LazyRequest, kept: OtherInputs): boolean {
  return (
    sameContent(kept.rest, restOf(lazy.request)) &&
    lazy.resourceMapMatches('requiredResources', kept.requiredResources) &&
    lazy.resourceMapMatches('extraResources', kept.extraResources)
  );
}

/** `meta` written into the room in front of `tail`'s response: the whole answer, as a view of `tail`. */
function behindMeta(meta: Buffer, tail: Buffer): Buffer {
  // A meta longer than the room (a tag of over 100 bytes: not Crossplane's) is answered by copying.
  if (meta.length > META_ROOM) return Buffer.concat([meta, tail.subarray(META_ROOM)]);
  const start = META_ROOM - meta.length;
  meta.copy(tail, start);
  return tail.subarray(start);
}

/** The encoded response's first field: its meta (tag and TTL). */
function encodeMeta(req: RunFunctionRequest, options: RunOptions): Buffer {
  const meta: RunFunctionResponse = {
    meta: { tag: req.meta?.tag ?? '', ttl: { seconds: options.ttlSeconds, nanos: 0 } },
    desired: undefined,
    results: [],
    context: undefined,
    requirements: undefined,
    conditions: [],
  };
  return encodeRunFunctionResponse(meta);
}

/**
 * Renders requests, answering each XR's request from its last render when
 * nothing that render read changed. Byte for byte the answer of
 * `encodeRunFunctionResponse(runFunction(decodeRunFunctionRequest(bytes)))`
 * (tested over sequences of changing requests).
 */
export class IncrementalRenderer {
  private readonly memo = new Map<string, LastRender>();
  /**
   * XRs whose last composed answer was too small to keep ({@link MIN_KEPT_RESPONSE_BYTES}), least
   * recently composed first: they compose without recording. At most {@link MAX_SMALL_XRS}.
   */
  private readonly smallXrs = new Set<string>();
  /** Least recently used first. */
  private readonly shared: SharedInputs[] = [];
  private used = 0;

  /** @param budgetBytes what the kept renders may take; 0 keeps none (every request composes). */
  constructor(
    private readonly options: RunOptions,
    private readonly budgetBytes: number = DEFAULT_RENDER_MEMO_BYTES,
  ) {}

  /**
   * Renders one encoded request. Throws {@link MalformedRequestError} on
   * malformed protobuf (as the decoder would; except inside observed resources
   * a reused answer did not need to decode, which are skipped over).
   */
  render(bytes: Uint8Array): IncrementalAnswer {
    const lazy = decoding(() => new LazyRequest(bytes));
    const req = lazy.request;
    const xr = req.observed?.composite?.resource;
    // A request with credentials is never kept: the kept inputs would hold them.
    const scope = this.budgetBytes > 0 && Object.keys(req.credentials).length === 0 ? scopeOf(xr) : undefined;
    const last = scope === undefined ? undefined : this.memo.get(scope);
    if (
      xr !== undefined &&
      last !== undefined &&
      decoding(() => sameOtherInputs(lazy, last.inputs.value)) &&
      decoding(() => last.reads.sameIn({ xr, names: lazy.composedNames(), resource: (name, pruning) => lazy.observedStruct(name, pruning) }))
    ) {
      this.touch(scope as string, last);
      return { answer: behindMeta(encodeMeta(req, this.options), last.tail), summary: last.summary, reused: true };
    }

    const full = decoding(() => lazy.full());
    const observed = full.observed;
    if (scope === undefined || observed?.composite?.resource === undefined || this.smallXrs.has(scope)) {
      // Nothing to keep (or an XR whose answers are too small to be worth it): compose as it is.
      const { response, summary } = runFunction(full, this.options);
      const answer = encodeRunFunctionResponse(response);
      if (scope !== undefined) {
        this.forget(scope);
        if (summary.outcome === 'composed') this.noteSize(scope, answer.length);
      }
      return { answer, summary, reused: false };
    }

    // The XR and the observed resources go to the render as views that record what it reads.
    const reads = new InputReads();
    const view = reads.track({ xr: observed.composite.resource, resources: {} });
    const tracked = { ...full, observed: { ...observed, composite: { ...observed.composite, resource: view.xr } } };
    const { response, summary } = runFunction(tracked, this.options, (plain) => reads.track({ xr: {}, resources: plain }).resources);
    // Encoded while the views still record: a composer may hand an observed object on into its answer.
    const encoded = encodeRunFunctionResponse({ ...response, meta: undefined });
    const tail = Buffer.allocUnsafe(META_ROOM + encoded.length);
    encoded.copy(tail, META_ROOM);
    const answer = Buffer.from(behindMeta(encodeMeta(req, this.options), tail));
    this.forget(scope);
    if (summary.outcome === 'composed') {
      this.noteSize(scope, answer.length);
      if (answer.length >= MIN_KEPT_RESPONSE_BYTES) {
        const cost = tail.length + BYTES_PER_READ * reads.size + ENTRY_OVERHEAD_BYTES;
        const inputs: OtherInputs = { rest: restOf(full), requiredResources: full.requiredResources, extraResources: full.extraResources };
        this.remember(scope, { inputs: this.share(inputs, last?.inputs, lazy.otherBytes), reads, tail, summary, cost });
      }
    }
    return { answer, summary, reused: false };
  }

  /** Renders kept, distinct sets of other inputs kept, and the bytes they count for. */
  get stats(): { entries: number; sharedInputs: number; bytes: number } {
    return { entries: this.memo.size, sharedInputs: this.shared.length, bytes: this.used };
  }

  /** Notes whether an XR's answer was too small to keep, so that its next render records nothing. */
  private noteSize(scope: string, answerBytes: number): void {
    this.smallXrs.delete(scope);
    if (answerBytes >= MIN_KEPT_RESPONSE_BYTES) return;
    this.smallXrs.add(scope);
    if (this.smallXrs.size > MAX_SMALL_XRS) this.smallXrs.delete(this.smallXrs.values().next().value as string);
  }

  private touch(scope: string, last: LastRender): void {
    // Most recently used last, so eviction takes the least recently used.
    this.memo.delete(scope);
    this.memo.set(scope, last);
    const at = this.shared.indexOf(last.inputs);
    if (at !== this.shared.length - 1) {
      this.shared.splice(at, 1);
      this.shared.push(last.inputs);
    }
  }

  /** The kept copy of `inputs`: one with the same content if kept (the XR's last first), else `inputs`, now kept. */
  private share(inputs: OtherInputs, previous: SharedInputs | undefined, encodedBytes: number): SharedInputs {
    let found = previous !== undefined && this.shared.includes(previous) && sameContent(previous.value, inputs) ? previous : undefined;
    found ??= this.shared.find((kept) => sameContent(kept.value, inputs));
    if (found !== undefined) {
      this.shared.splice(this.shared.indexOf(found), 1);
      this.shared.push(found);
      return found;
    }
    const added: SharedInputs = { value: inputs, cost: encodedBytes * DECODED_BYTES_PER_BYTE, users: new Set() };
    this.shared.push(added);
    this.used += added.cost;
    while (this.shared.length > MAX_SHARED_INPUTS) {
      const oldest = this.shared[0] as SharedInputs;
      for (const user of [...oldest.users]) this.forget(user);
      // forget() drops a set once its last user goes; one without users goes here.
      if (this.shared[0] === oldest) this.dropShared(oldest);
    }
    return added;
  }

  private dropShared(inputs: SharedInputs): void {
    const at = this.shared.indexOf(inputs);
    if (at < 0) return;
    this.shared.splice(at, 1);
    this.used -= inputs.cost;
  }

  private forget(scope: string): void {
    const last = this.memo.get(scope);
    if (last === undefined) return;
    this.memo.delete(scope);
    this.used -= last.cost;
    last.inputs.users.delete(scope);
    if (last.inputs.users.size === 0) this.dropShared(last.inputs);
  }

  private remember(scope: string, last: LastRender): void {
    last.inputs.users.add(scope);
    this.memo.set(scope, last);
    this.used += last.cost;
    for (const oldest of this.memo.keys()) {
      if (this.used <= this.budgetBytes) break;
      this.forget(oldest);
    }
  }
}
