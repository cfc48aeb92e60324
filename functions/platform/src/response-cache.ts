/**
 * A bounded cache of encoded RunFunction responses, keyed by the request's
 * content ({@link requestKey}). A render is a pure function of its request's
 * content (same content in any map order, byte-identical response: tested), and
 * Crossplane re-sends the same request every reconcile while nothing changed, so
 * the answer to a request seen before can be sent again without decoding or
 * composing. It does not
 * make composing faster; it avoids repeating identical work. See
 * docs/function.md ("Response cache").
 */
import { createHash } from 'node:crypto';
import { peekRequestTag } from './codec/request.js';
import type { RunSummary } from './run-function.js';

/**
 * 16 MiB: about 240 prod Environment responses or several thousand project XRs'.
 * A fleet of 20 Environments and 1,000 project XRs (scripts/bench-fleet.ts, fully
 * created) needs about 7 MiB, under half the arena, so its steady state never moves an entry.
 * The arena's RSS reaches the whole budget under churn: 32 MiB put the cold path
 * over 150 MiB.
 */
export const DEFAULT_RESPONSE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * What an entry costs besides its response bytes, which are in the arena: the
 * key (64-80 characters), the slot and summary objects, the Map entry and ring slot
 * on the V8 heap (measured: about 350 bytes an entry, 20,000 entries, Node 20).
 * Counted in the budget, so a budget full of tiny responses still bounds the
 * number of entries and the heap they take.
 */
export const ENTRY_OVERHEAD_BYTES = 384;

/** A cached answer: the encoded response and what the log line and metrics say about the call. */
export interface CachedResponse {
  /**
   * The encoded response. From {@link ResponseCache.get} a view into the cache's
   * arena: valid until the cache's next `get` or `set`, so send (or copy) it first.
   */
  bytes: Buffer;
  summary: RunSummary;
}

/**
 * Crossplane's request tag: hex SHA-256 of the request's deterministic
 * encoding (crossplane internal/xfn `Tag`), which Crossplane's own response
 * cache keys on. Tags of another form (tests, other clients) are not trusted.
 */
const CROSSPLANE_TAG = /^[0-9a-f]{64}$/;

/**
 * The cache key of a request. Crossplane marshals maps (every Struct) in Go's
 * random order, so the same request rarely arrives as the same bytes twice; its
 * tag, a hash of its content, does. A request with a tag of Crossplane's form is
 * keyed by that tag (and its length, which map order does not change); any
 * other by the SHA-256 of its bytes.
 */
export function requestKey(requestBytes: Uint8Array): string {
  const tag = peekRequestTag(requestBytes);
  if (tag !== undefined && CROSSPLANE_TAG.test(tag)) return `tag:${tag}:${requestBytes.length}`;
  return createHash('sha256').update(requestBytes).digest('hex');
}

/** Where one entry's bytes sit in the arena. */
interface Slot {
  key: string;
  /**
   * Position in the ring as if it never wrapped: the arena offset is `start`
   * modulo the capacity. Only grows from slot to slot, so the ring's write
   * order is also the order of `start`.
   */
  start: number;
  length: number;
  summary: RunSummary;
  /** False once evicted, replaced or moved; the ring queue drops dead slots lazily. */
  live: boolean;
}

/**
 * Least-recently-used map from request key to {@link CachedResponse}, bounded
 * by total bytes (response bytes plus {@link ENTRY_OVERHEAD_BYTES} each).
 * Entries costing more than a quarter of the budget are not stored, so one
 * huge response cannot flush everything else. A budget of 0 disables it.
 *
 * The response bytes live in one arena of `maxBytes`, allocated on the first
 * store and written as a ring, never in a Buffer per entry. With a Buffer per
 * entry, an evicted answer stayed allocated until V8's next full collection (it
 * was old by then, and V8 starts one only after tens of MiB of such external
 * memory), so under churn ArrayBuffer memory peaked at 75-80 MiB for 32 MiB
 * held, and a 32 MiB budget cost 50-70 MiB of RSS (measured, docs/function.md).
 * The arena's RSS is at most its size, whatever the churn.
 *
 * Writes go where the ring's write position is, evicting whatever entries
 * they overlap (the oldest written). So that this stays least-recently-used
 * and not first-in-first-out, a hit on an entry in the half of the ring that
 * is written next copies it to the write position (at most once per half
 * cycle of the ring: nothing moves while fewer bytes than half the arena are
 * written between hits).
 */
export class ResponseCache {
  // A Map iterates in insertion order; re-inserting on every hit keeps the
  // least recently used entry first, which is what the byte budget evicts.
  private readonly entries = new Map<string, Slot>();
  // Slots in write order (ascending `start`) from `ringFirst` on, dead ones included.
  private ring: Slot[] = [];
  private ringFirst = 0;
  private arena: Buffer | undefined;
  private writeAt = 0;
  private used = 0;

  constructor(readonly maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new Error(`invalid response cache size ${maxBytes}: must be a whole number of bytes, 0 or more`);
  }

  /** False when the budget is 0: callers then skip hashing too. */
  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes accounted for, never more than {@link maxBytes}. */
  get bytes(): number {
    return this.used;
  }

  /**
   * The cached answer for `key`, now the most recently used; undefined on a miss.
   * Its bytes are a view into the arena, valid until the next `get` or `set`.
   */
  get(key: string): CachedResponse | undefined {
    let slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    this.entries.delete(key);
    if (slot.start < this.writeAt - this.maxBytes / 2) slot = this.moveToFront(slot);
    this.entries.set(key, slot);
    return { bytes: this.view(slot), summary: slot.summary };
  }

  /**
   * Stores a copy of an answer, evicting the least recently used entries to stay
   * within the budget (and those the ring overwrites). Returns whether it was
   * stored (false when disabled or too large).
   */
  set(key: string, entry: CachedResponse): boolean {
    const cost = entry.bytes.length + ENTRY_OVERHEAD_BYTES;
    if (!this.enabled || cost > this.maxBytes / 4) return false;
    const previous = this.entries.get(key);
    if (previous !== undefined) this.evict(previous);
    const slot = this.place(key, entry.bytes.length, entry.summary);
    entry.bytes.copy(this.arenaBuffer(), slot.start % this.maxBytes);
    this.entries.set(key, slot);
    this.used += cost;
    for (const old of this.entries.values()) {
      if (this.used <= this.maxBytes) break;
      this.evict(old);
    }
    return true;
  }

  private arenaBuffer(): Buffer {
    // Unpooled and uninitialized: only bytes written by set() are ever read back,
    // and pages the ring has not reached yet cost no RSS.
    this.arena ??= Buffer.allocUnsafeSlow(this.maxBytes);
    return this.arena;
  }

  private view(slot: Slot): Buffer {
    const offset = slot.start % this.maxBytes;
    return this.arenaBuffer().subarray(offset, offset + slot.length);
  }

  /** Copies a live slot's bytes to the write position; the caller re-inserts the returned slot. */
  private moveToFront(slot: Slot): Slot {
    slot.live = false;
    const from = slot.start % this.maxBytes;
    const moved = this.place(slot.key, slot.length, slot.summary);
    // place() only evicts; nothing was written since, so the old bytes are intact,
    // and copyWithin copies correctly when the two ranges overlap.
    this.arenaBuffer().copyWithin(moved.start % this.maxBytes, from, from + slot.length);
    return moved;
  }

  /**
   * Reserves `length` bytes at the write position (wrapping to the arena's start
   * when they do not fit before its end: an entry is never split) and evicts
   * every entry whose bytes they overlap. Returns the new slot, queued; the
   * caller writes the bytes and maps the key.
   */
  private place(key: string, length: number, summary: RunSummary): Slot {
    const capacity = this.maxBytes;
    let start = this.writeAt;
    if ((start % capacity) + length > capacity) start += capacity - (start % capacity);
    const end = start + length;
    // A slot is overwritten when its next turn round the ring starts before `end`.
    // Slots are in ascending `start`, so those are a prefix of the queue.
    while (this.ringFirst < this.ring.length) {
      const first = this.ring[this.ringFirst] as Slot;
      if (first.start + capacity >= end) break;
      this.ringFirst++;
      if (first.live) this.evict(first);
    }
    if (this.ringFirst > 1024 && this.ringFirst * 2 > this.ring.length) {
      this.ring = this.ring.slice(this.ringFirst);
      this.ringFirst = 0;
    }
    const slot: Slot = { key, start, length, summary, live: true };
    this.ring.push(slot);
    this.writeAt = end;
    return slot;
  }

  private evict(slot: Slot): void {
    slot.live = false;
    this.entries.delete(slot.key);
    this.used -= slot.length + ENTRY_OVERHEAD_BYTES;
  }
}
