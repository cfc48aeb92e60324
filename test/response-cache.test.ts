import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionRunnerServiceService, RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { loopbackServerOptions, startFunctionServer, type FunctionServer } from '../functions/platform/src/server.js';
import { ENTRY_OVERHEAD_BYTES, ResponseCache, requestKey } from '../functions/platform/src/response-cache.js';
import { FunctionMetrics } from '../functions/platform/src/metrics.js';
import { newClient } from './helpers/grpc-client.js';
import { readManifest, request, storageXr, withPlatformEnvironment } from './helpers/requests.js';
import { requestFor } from '../scripts/lib/in-process.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { decodeRunFunctionRequest, encodeRunFunctionResponse } from '../functions/platform/src/codec/index.js';
import { runFunction } from '../functions/platform/src/run-function.js';
import { crossplaneWire, seededRandom } from '../scripts/lib/crossplane-wire.js';

type LogLine = Record<string, unknown>;

/** Storage request bytes; `tag` makes each distinct (the response echoes it). */
const storageBytes = (tag: string) => Buffer.from(RunFunctionRequest.encode(request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment(), tag })).finish());

/** A Hub's first reconcile: an answer large enough for the render memo to keep (MIN_KEPT_RESPONSE_BYTES). */
function hubRequest(): RunFunctionRequest {
  return requestFor(readManifest('examples/hub/hub.yaml'));
}

/** One RunFunction call with bytes both ways, so byte identity of answers is observable. */
function rawCall(client: grpc.Client, body: Buffer): Promise<Buffer> {
  const identity = (b: Buffer) => b;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(FunctionRunnerServiceService.runFunction.path, identity, identity, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (error, response) => {
      if (error || response === undefined) reject(error ?? new Error('no response'));
      else resolve(response);
    });
  });
}

let server: FunctionServer | undefined;
let client: grpc.Client | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.shutdown();
  server = undefined;
});

/** A server whose per-call log lines land in `lines`. */
async function serve(responseCacheBytes?: number, metrics?: FunctionMetrics, renderMemoBytes?: number) {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  server = await startFunctionServer({
    ...loopbackServerOptions({ maxRecvMessageBytes: 1 << 20, logger }),
    ...(responseCacheBytes !== undefined ? { responseCacheBytes } : {}),
    ...(metrics !== undefined ? { metrics } : {}),
    ...(renderMemoBytes !== undefined ? { renderMemoBytes } : {}),
  });
  client = newClient(`127.0.0.1:${server.port}`);
  const calls = () => lines.filter((line) => line.msg === 'RunFunction');
  return { client, calls };
}

describe('response cache over real gRPC', () => {
  it('answers an identical request with byte-identical bytes, logged and counted as cached', async () => {
    const metrics = new FunctionMetrics({ processMetrics: false });
    const { client, calls } = await serve(undefined, metrics);
    const body = storageBytes('tag-1');
    const first = await rawCall(client, body);
    const second = await rawCall(client, body);
    expect(second.equals(first)).toBe(true);
    expect(RunFunctionResponse.decode(first).desired?.resources).toHaveProperty('claim');
    const [composed, cached] = calls();
    expect(composed).not.toHaveProperty('cached');
    expect(cached).toMatchObject({ kind: 'Storage', outcome: 'composed', resources: 1, cached: true });
    // The cached line says the same about the call as the composed one.
    const { cached: _flag, durationMs: _d1, time: _t1, ...cachedRest } = cached ?? {};
    const { durationMs: _d2, time: _t2, ...composedRest } = composed ?? {};
    expect(cachedRest).toEqual(composedRest);
    expect((await metrics.scrape()).body).toContain('function_run_function_requests_total{kind="Storage",outcome="composed"} 2');
  });

  it('composes again a request that differs in one byte', async () => {
    const { client, calls } = await serve();
    const body = storageBytes('tag-1');
    const changed = Buffer.from(body);
    const at = changed.indexOf('tag-1');
    expect(at).toBeGreaterThanOrEqual(0);
    changed[at + 4] = '2'.charCodeAt(0);
    const first = await rawCall(client, body);
    const second = await rawCall(client, changed);
    expect(second.equals(first)).toBe(false);
    expect(RunFunctionResponse.decode(second).meta?.tag).toBe('tag-2');
    expect(calls().map((line) => line.cached ?? false)).toEqual([false, false]);
  });

  it("answers the same content in another map order from the cache, by Crossplane's tag", async () => {
    const { client, calls } = await serve();
    const req = request(storageXr({ size: '10Gi' }, { labels: { team: 'api', app: 'forge' } }), { required: withPlatformEnvironment() });
    const first = crossplaneWire(req, seededRandom(1));
    const second = crossplaneWire(req, seededRandom(2));
    expect(second.equals(first)).toBe(false);
    const answers = [await rawCall(client, first), await rawCall(client, second)];
    expect(answers[1]?.equals(answers[0] as Buffer)).toBe(true);
    expect(calls().map((line) => line.cached ?? false)).toEqual([false, true]);
  });

  it('answers a changed request from the last render when nothing it read changed, logged as reused', async () => {
    const { client, calls } = await serve();
    const hub = hubRequest();
    const xr = hub.observed?.composite?.resource as Record<string, unknown>;
    const later = { ...xr, metadata: { ...(xr.metadata as Record<string, unknown>), resourceVersion: '7' } };
    const bodies = [xr, later, later].map((resource, i) => crossplaneWire({ ...hub, observed: { resources: {}, composite: { resource, connectionDetails: {}, ready: 0 } } }, seededRandom(i)));
    const answers = [];
    for (const body of bodies) answers.push(await rawCall(client, body));
    // The same content again: answered from the render memo again, not stored twice in the cache.
    expect(answers[2]?.equals(answers[1] as Buffer)).toBe(true);
    // Only the tag differs: each answer carries its own request's.
    expect(RunFunctionResponse.decode(answers[1] as Buffer)).toEqual({ ...RunFunctionResponse.decode(answers[0] as Buffer), meta: RunFunctionResponse.decode(answers[1] as Buffer).meta });
    expect(calls().map((line) => [line.cached ?? false, line.reused ?? false])).toEqual([
      [false, false],
      [false, true],
      [false, true],
    ]);
    expect(calls()[1]).toMatchObject({ kind: 'Hub', outcome: 'composed', resources: calls()[0]?.resources });
  });

  it('answers every call with its own meta while reused answers are written in place under concurrent calls', async () => {
    // A reused answer is the kept response with this call's meta written in front of it, in place:
    // grpc-js must have copied it before the next call of the same XR writes its own meta there.
    const { client, calls } = await serve(0);
    const tags = Array.from({ length: 24 }, (_, i) => `tag-${i}`);
    const hub = hubRequest();
    const bodies = tags.map((tag) => Buffer.from(RunFunctionRequest.encode({ ...hub, meta: { tag, capabilities: [] } }).finish()));
    const expected = bodies.map((body) => encodeRunFunctionResponse(runFunction(decodeRunFunctionRequest(body), { ttlSeconds: 60 }).response));
    let next = 0;
    const worker = async () => {
      while (next < 400) {
        const which = (next++ * 7) % tags.length;
        expect((await rawCall(client, bodies[which] as Buffer)).equals(expected[which] as Buffer), tags[which]).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    expect(calls().filter((line) => line.reused === true).length).toBeGreaterThan(390);
  });

  it('composes every changed request with --render-memo-size 0', async () => {
    const { client, calls } = await serve(undefined, undefined, 0);
    await rawCall(client, storageBytes('tag-1'));
    await rawCall(client, storageBytes('tag-2'));
    expect(calls().map((line) => line.reused ?? false)).toEqual([false, false]);
  });

  it('evicts the least recently used entries past its byte budget', async () => {
    // 8 KiB: a Storage answer (under 1 KiB plus overhead) is cached, and only a handful fit.
    // No render memo: it would answer these (one XR, tags apart) and such answers are not stored.
    const { client, calls } = await serve(8 * 1024, undefined, 0);
    const bodies = Array.from({ length: 20 }, (_, i) => storageBytes(`tag-${i}`));
    for (const body of bodies) await rawCall(client, body);
    const last = bodies[bodies.length - 1] as Buffer;
    const first = bodies[0] as Buffer;
    await rawCall(client, last); // recent: still cached
    await rawCall(client, first); // long evicted: composed again
    const flags = calls().map((line) => line.cached === true);
    expect(flags.slice(0, 20).every((cached) => !cached)).toBe(true);
    expect(flags.slice(20)).toEqual([true, false]);
  });

  it('answers every call with its own bytes while the arena turns over under concurrent calls', async () => {
    // A hit answers a view into the arena, which the next store may overwrite: grpc-js
    // must have copied it by then. 8 KiB holds a handful of answers, so with 64 calls in
    // flight over 24 requests the ring wraps again and again between a hit and the next call.
    // No render memo: every miss composes and is stored.
    const { client } = await serve(8 * 1024, undefined, 0);
    const tags = Array.from({ length: 24 }, (_, i) => `tag-${i}`);
    const bodies = tags.map(storageBytes);
    const composed = await Promise.all(bodies.map((body) => rawCall(client, body)));
    const calls = Array.from({ length: 400 }, (_, i) => (i * 7) % tags.length);
    let next = 0;
    const worker = async () => {
      while (next < calls.length) {
        const which = calls[next++] as number;
        const answer = await rawCall(client, bodies[which] as Buffer);
        expect(answer.equals(composed[which] as Buffer), tags[which]).toBe(true);
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    expect(RunFunctionResponse.decode(composed[5] as Buffer).meta?.tag).toBe('tag-5');
  });

  it('composes every call when disabled', async () => {
    const { client, calls } = await serve(0);
    const body = storageBytes('tag-1');
    const answers = [await rawCall(client, body), await rawCall(client, body), await rawCall(client, body)];
    expect(answers.every((answer) => answer.equals(answers[0] as Buffer))).toBe(true);
    expect(calls().map((line) => line.cached ?? false)).toEqual([false, false, false]);
  });

  it('answers malformed protobuf with INTERNAL, twice (errors are not cached), and keeps serving', async () => {
    const { client, calls } = await serve();
    const malformed = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    for (let i = 0; i < 2; i++) await expect(rawCall(client, malformed)).rejects.toMatchObject({ code: grpc.status.INTERNAL });
    const answer = await rawCall(client, storageBytes('tag-1'));
    expect(RunFunctionResponse.decode(answer).desired?.resources).toHaveProperty('claim');
    expect(calls()).toHaveLength(1);
  });
});

describe('ResponseCache', () => {
  const summary = { kind: 'Storage', outcome: 'composed' as const, resources: 1 };
  const entry = (size: number) => ({ bytes: Buffer.alloc(size, 1), summary });

  it('keys by SHA-256 of the bytes', () => {
    expect(requestKey(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('keeps the total within budget, evicting least recently used first', () => {
    const cost = 1000 + ENTRY_OVERHEAD_BYTES;
    const cache = new ResponseCache(cost * 4);
    for (const key of ['a', 'b', 'c', 'd']) expect(cache.set(key, entry(1000))).toBe(true);
    expect(cache.get('a')).toBeDefined(); // a is now the most recent; b the least
    cache.set('e', entry(1000));
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d'), cache.get('e')].every((e) => e !== undefined)).toBe(true);
    expect(cache.size).toBe(4);
    expect(cache.bytes).toBe(cost * 4);
  });

  it('does not store entries over a quarter of the budget, nor anything when disabled', () => {
    const cache = new ResponseCache(4096);
    expect(cache.set('big', entry(1024 - ENTRY_OVERHEAD_BYTES + 1))).toBe(false);
    expect(cache.set('fits', entry(1024 - ENTRY_OVERHEAD_BYTES))).toBe(true);
    const disabled = new ResponseCache(0);
    expect(disabled.enabled).toBe(false);
    expect(disabled.set('x', entry(1))).toBe(false);
    expect(disabled.get('x')).toBeUndefined();
  });

  it('replacing a key does not count it twice', () => {
    const cache = new ResponseCache(1 << 20);
    cache.set('a', entry(100));
    cache.set('a', entry(200));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(200 + ENTRY_OVERHEAD_BYTES);
  });

  it('holds a copy in its own arena, not the Buffer it was given (nor the pool slab that may be a slice of)', () => {
    const cache = new ResponseCache(1 << 20);
    const pooled = Buffer.from('small'); // a slice of Node's 8 KiB pool
    cache.set('p', { bytes: pooled, summary });
    pooled.write('xxxxx');
    const held = cache.get('p')?.bytes;
    expect(held?.toString()).toBe('small');
    expect(held?.buffer).not.toBe(pooled.buffer);
    // One arena of the budget's size holds every entry.
    expect(held?.buffer.byteLength).toBe(1 << 20);
  });

  it('keeps every held answer intact while the ring wraps many times over', () => {
    // 64 KiB: entries of 1-15 KiB, so the ring wraps, skips tails and overwrites
    // entries, and hits move entries to the write position.
    const budget = 64 * 1024;
    const cache = new ResponseCache(budget);
    const expected = new Map<string, Buffer>();
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      if (expected.size > 0 && random() < 0.5) {
        const keys = [...expected.keys()];
        const key = keys[Math.floor(random() * keys.length)] as string;
        const held = cache.get(key);
        if (held === undefined) expected.delete(key);
        else expect(held.bytes.equals(expected.get(key) as Buffer), key).toBe(true);
      } else {
        const key = `k${i}`;
        const bytes = Buffer.alloc(1024 + Math.floor(random() * 14 * 1024), i % 251);
        bytes.writeUInt32BE(i, 0);
        expect(cache.set(key, { bytes, summary })).toBe(true);
        expected.set(key, bytes);
      }
      expect(cache.bytes).toBeLessThanOrEqual(budget);
    }
    // Whatever is still held reads back as it was stored.
    let held = 0;
    for (const [key, bytes] of expected) {
      const entry = cache.get(key);
      if (entry === undefined) continue;
      held++;
      expect(entry.bytes.equals(bytes), key).toBe(true);
    }
    expect(held).toBe(cache.size);
    expect(held).toBeGreaterThan(0);
  });

  it('keeps an entry that is hit while the ring turns over (least recently used, not first in first out)', () => {
    const budget = 64 * 1024;
    const cache = new ResponseCache(budget);
    cache.set('hot', entry(4096));
    // Ten times the arena's size in other entries, the hot one read in between.
    for (let i = 0; i < 160; i++) {
      cache.set(`cold-${i}`, entry(4096));
      expect(cache.get('hot')?.bytes.equals(Buffer.alloc(4096, 1))).toBe(true);
    }
    expect(cache.get('cold-0')).toBeUndefined();
  });
});

describe('size flags', () => {
  const main = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'functions/platform/src/main.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000 });

  it.each([
    ['--response-cache-size', '32MB'],
    ['--render-memo-size', 'lots'],
  ])('%s is documented in --help and refuses a size it cannot read (%s)', (flag, size) => {
    expect(main(['--help']).stdout).toContain(`${flag} <size>`);
    const bad = main(['--insecure', flag, size]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`invalid size "${size}"`);
  });
});
