/**
 * A bounded cache of encoded RunFunction responses, keyed by a hash of the
 * request bytes. A render is a pure function of its request bytes (same
 * request, byte-identical response: tested), and Crossplane re-sends the same
 * request every reconcile while nothing changed, so the answer to a request
 * seen before can be sent again without decoding or composing. It does not
 * make composing faster; it avoids repeating identical work. See
 * docs/function.md ("Response cache").
 */
import { createHash } from 'node:crypto';
import type { RunSummary } from './run-function.js';

/** 32 MiB: about 500 prod Environment responses, a few thousand project XRs'. */
export const DEFAULT_RESPONSE_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * What an entry costs besides its response bytes: the 64-character key (twice:
 * Map key and entry), the summary object and the Map slot. An estimate, so a
 * budget full of tiny responses still bounds the number of entries.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/** A cached answer: the encoded response and what the log line and metrics say about the call. */
export interface CachedResponse {
  bytes: Buffer;
  summary: RunSummary;
}

/** The cache key of a request: SHA-256 of its bytes, hex. */
export function requestKey(requestBytes: Uint8Array): string {
  return createHash('sha256').update(requestBytes).digest('hex');
}

/**
 * Least-recently-used map from request key to {@link CachedResponse}, bounded
 * by total bytes (response bytes plus {@link ENTRY_OVERHEAD_BYTES} each).
 * Entries costing more than a quarter of the budget are not stored, so one
 * huge response cannot flush everything else. A budget of 0 disables it.
 */
export class ResponseCache {
  // A Map iterates in insertion order; re-inserting on every hit keeps the
  // least recently used entry first, which is what eviction takes.
  private readonly entries = new Map<string, CachedResponse>();
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

  /** The cached answer for `key`, now the most recently used; undefined on a miss. */
  get(key: string): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * Stores an answer, evicting the least recently used entries to stay within
   * the budget. Returns whether it was stored (false when disabled or too large).
   */
  set(key: string, entry: CachedResponse): boolean {
    const cost = entry.bytes.length + ENTRY_OVERHEAD_BYTES;
    if (!this.enabled || cost > this.maxBytes / 4) return false;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.used -= previous.bytes.length + ENTRY_OVERHEAD_BYTES;
    }
    // A small Buffer can be a slice of Node's shared 8 KiB pool: holding it would
    // hold the whole slab, so the budget would under-count. Keep an own copy then.
    const bytes = entry.bytes.byteOffset === 0 && entry.bytes.buffer.byteLength === entry.bytes.length ? entry.bytes : copy(entry.bytes);
    this.entries.set(key, { bytes, summary: entry.summary });
    this.used += cost;
    for (const [oldest, old] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= old.bytes.length + ENTRY_OVERHEAD_BYTES;
    }
    return true;
  }
}

function copy(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}
