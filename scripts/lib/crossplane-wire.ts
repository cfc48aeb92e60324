/**
 * Requests as Crossplane sends them, for the bench and the tests.
 *
 * Crossplane (Go) marshals each RunFunctionRequest with protobuf-go's default
 * options, which write map entries, and so every Struct's fields, in Go's
 * randomized map order: two requests with the same content are rarely the same
 * bytes. What identifies the content is `meta.tag`, the SHA-256 of the
 * request's deterministic encoding (crossplane internal/xfn `Tag`).
 */
import { createHash } from 'node:crypto';
import { RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { canonical } from '../../functions/platform/src/schema/canonical.js';

/** A small seeded generator (mulberry32): the same seed gives the same sequence, so runs repeat. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deep copy of `value` with every object's keys in a random order; arrays keep theirs (it means something). */
export function shuffleKeys<T>(value: T, random: () => number): T {
  if (Array.isArray(value)) return value.map((item: unknown) => shuffleKeys(item, random)) as T;
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = shuffleKeys((value as Record<string, unknown>)[key], random);
  return out as T;
}

/** The tag Crossplane gives `request`: hex SHA-256 of its content in a deterministic encoding, meta left out. */
export function crossplaneTag(request: RunFunctionRequest): string {
  const content = canonical({ ...request, meta: undefined });
  return createHash('sha256').update(RunFunctionRequest.encode(content).finish()).digest('hex');
}

/**
 * `request` encoded as Crossplane would send it: tagged with {@link crossplaneTag}
 * and every map (Struct fields included) in an order drawn from `random`.
 */
export function crossplaneWire(request: RunFunctionRequest, random: () => number): Buffer {
  const tagged = { ...request, meta: { capabilities: request.meta?.capabilities ?? [], tag: crossplaneTag(request) } };
  return Buffer.from(RunFunctionRequest.encode(shuffleKeys(tagged, random)).finish());
}
