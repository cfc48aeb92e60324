import { mkdtempSync } from 'node:fs';
import http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionRunnerServiceService, Ready, RunFunctionResponse, type RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { loopbackServerOptions, startFunctionServer, type FunctionServer } from '../../functions/platform/src/server.js';
import { composeInProcess, requestFor } from '../../scripts/lib/in-process.js';
import { generatePki, writeServerCerts, type TestPki } from '../helpers/certs.js';
import { call, callRaw, newClient } from '../helpers/grpc-client.js';
import { allExamples, kindCases, requiredPool, withSpec } from '../helpers/kind-cases.js';
import { requestBytes, responseBytes, singleFatal } from '../helpers/outcome.js';

/** Receive limit of the servers under test: small, so going over it is cheap. */
const LIMIT = 1 << 20;
const METHOD = FunctionRunnerServiceService.runFunction;

interface Case {
  name: string;
  request: RunFunctionRequest;
  /** What the function answers in-process: the server must put exactly this on the wire. */
  expected: Buffer;
}

/**
 * One case per example (its last call, with requirements supplied) and one
 * invalid spec per kind: the traffic the server is judged on.
 */
function cases(): Case[] {
  const pool = requiredPool();
  const out: Case[] = allExamples().map((example) => {
    const { request, response } = composeInProcess(example.input.xr, pool);
    return { name: example.file, request, expected: responseBytes(response) };
  });
  for (const kind of kindCases()) {
    const { request, response } = composeInProcess(withSpec(kind.xr, { 'no-such-field': true }), pool);
    out.push({ name: `${kind.definition.kind} with an invalid spec`, request, expected: responseBytes(response) });
  }
  return out;
}

/** Log lines of a server, kept to prove nothing went wrong inside it. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

async function expectServes(target: string, testCases: readonly Case[], credentials?: grpc.ChannelCredentials): Promise<void> {
  const client = newClient(target, credentials);
  try {
    for (const tc of testCases) {
      const response = await call(client, tc.request);
      expect(responseBytes(response).equals(tc.expected), tc.name).toBe(true);
    }
  } finally {
    client.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('server robustness over real gRPC (insecure)', () => {
  let server: FunctionServer;
  let target: string;
  const log = capturingLogger();
  const all = cases();

  beforeAll(async () => {
    server = await startFunctionServer(loopbackServerOptions({ maxRecvMessageBytes: LIMIT, logger: log.logger }));
    target = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.shutdown();
    // Whatever was thrown at it, the server never hit its "this is a bug" path.
    expect(log.lines.filter((l) => l.msg === 'RunFunction failed unexpectedly')).toEqual([]);
  });

  it('answers every example correctly', async () => {
    expect(all.length).toBeGreaterThan(kindCases().length);
    await expectServes(target, all);
  });

  it('answers 1,000 concurrent requests, each with exactly the bytes it would get alone', async () => {
    const clients = Array.from({ length: 4 }, () => newClient(target));
    try {
      const calls = Array.from({ length: 1000 }, async (_, i) => {
        const tc = all[i % all.length] as Case;
        const client = clients[i % clients.length] as grpc.Client;
        const response = await call(client, { ...tc.request, meta: { tag: tc.request.meta?.tag ?? '', capabilities: [] } }, 60_000);
        return responseBytes(response).equals(tc.expected);
      });
      const results = await Promise.all(calls);
      expect(results.filter((ok) => !ok)).toHaveLength(0);
    } finally {
      for (const client of clients) client.close();
    }
    await expectServes(target, all);
  });

  it('answers malformed protobuf with an error or a Fatal, and keeps serving', async () => {
    const good = requestBytes(all[0]?.request ?? requestFor({}));
    const handPicked: Buffer[] = [
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), // length far beyond the body
      Buffer.from([0x0f]), // wire type 7 does not exist
      Buffer.from([0x0a]), // a field with no length
      good.subarray(0, Math.floor(good.length / 2)), // a valid request cut in half
      Buffer.concat([good, Buffer.from([0xff])]), // trailing garbage
      Buffer.alloc(0), // empty: decodes to an empty request
      Buffer.alloc(4096, 0xff),
    ];
    const client = newClient(target);
    try {
      const judge = async (body: Buffer) => {
        try {
          const response = (await callRaw(client, body)) as RunFunctionResponse;
          // Bytes that happen to decode are a request like any other: one Fatal (there is no XR in them).
          const fatal = singleFatal(response);
          expect('message' in fatal, JSON.stringify(fatal)).toBe(true);
        } catch (error) {
          expect((error as grpc.ServiceError).code).toBe(grpc.status.INTERNAL);
        }
      };
      for (const body of handPicked) await judge(body);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => judge(Buffer.from(bytes))),
        { seed: 7, numRuns: 100 },
      );
    } finally {
      client.close();
    }
    await expectServes(target, all);
  });

  it('refuses requests over the receive limit, serves one just under it, and keeps serving', async () => {
    const base = all[0] as Case;
    const client = newClient(target);
    try {
      for (const size of [LIMIT + 1, 2 * LIMIT, 16 * LIMIT]) {
        const big: RunFunctionRequest = { ...base.request, context: { padding: 'x'.repeat(size) } };
        await expect(call(client, big)).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
      }
      // Just under: the same request with padding that keeps the encoding below the limit is composed.
      // The padding sits in an XR annotation, which the response does not echo (the context would be echoed,
      // and the send limit equals the receive limit: see docs/benchmark.md, "Findings").
      const padding = 'x'.repeat(LIMIT - requestBytes(base.request).length - 1024);
      const xr = base.request.observed?.composite?.resource ?? {};
      const padded = { ...xr, metadata: { ...(xr.metadata as Record<string, unknown>), annotations: { padding } } };
      const under: RunFunctionRequest = { ...base.request, observed: { resources: {}, ...base.request.observed, composite: { resource: padded, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED } } };
      expect(requestBytes(under).length).toBeLessThanOrEqual(LIMIT);
      const response = await call(client, under);
      expect(response.results).toEqual(RunFunctionResponse.decode(base.expected).results);
    } finally {
      client.close();
    }
    await expectServes(target, all);
  });

  it('survives clients that go away mid-call', async () => {
    // 1. gRPC calls cancelled right after they start, and calls with a deadline that cannot be met.
    const client = newClient(target);
    const tc = all[0] as Case;
    const cancelled = Array.from({ length: 100 }, () => {
      const pending = client.makeUnaryRequest(METHOD.path, METHOD.requestSerialize, METHOD.responseDeserialize, tc.request, new grpc.Metadata(), {}, () => {});
      pending.cancel();
    });
    expect(cancelled).toHaveLength(100);
    const expired = Array.from({ length: 50 }, () => call(client, tc.request, 0).then(() => 'answered', (e: grpc.ServiceError) => e.code));
    for (const outcome of await Promise.all(expired)) expect([grpc.status.DEADLINE_EXCEEDED, 'answered']).toContain(outcome);
    client.close();

    // 2. HTTP/2 streams that promise a message and hang up halfway through it.
    for (let i = 0; i < 20; i++) {
      const session = http2.connect(`http://${target}`);
      session.on('error', () => {});
      const stream = session.request({ ':method': 'POST', ':path': METHOD.path, 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => {});
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(100_000, 1);
      stream.write(Buffer.concat([prefix, requestBytes(tc.request).subarray(0, 10)]));
      await sleep(5);
      if (i % 2 === 0) stream.close(http2.constants.NGHTTP2_CANCEL);
      session.destroy();
    }

    // 3. TCP connections that send half a preface, or nothing, and then close or linger.
    const sockets: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(i % 2 === 0 ? 'PRI * HTTP/2.0\r\n' : 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      sockets.push(socket);
    }
    await sleep(20);
    for (const [i, socket] of sockets.entries()) if (i % 3 !== 0) socket.destroy();

    // Lingering half-open connections do not stop anyone else being served.
    await expectServes(target, all);
    for (const socket of sockets) socket.destroy();
    await expectServes(target, all);
  });
});

describe('server robustness with mTLS', () => {
  let pki: TestPki;
  let server: FunctionServer;
  let target: string;
  const all = cases();
  const log = capturingLogger();
  const trusted = () => grpc.credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(pki.client.key), Buffer.from(pki.client.cert));

  beforeAll(async () => {
    pki = generatePki('robustness');
    const dir = mkdtempSync(join(tmpdir(), 'fn-robust-tls-'));
    writeServerCerts(dir, pki);
    server = await startFunctionServer({ address: '127.0.0.1:0', insecure: false, tlsServerCertsDir: dir, maxRecvMessageBytes: LIMIT, ttlSeconds: 60, shutdownGraceMs: 1000, logger: log.logger });
    target = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.shutdown();
    expect(log.lines.filter((l) => l.msg === 'RunFunction failed unexpectedly')).toEqual([]);
  });

  it('refuses clients without a certificate, plaintext clients and raw TCP, then serves a trusted client correctly', async () => {
    const tc = all[0] as Case;
    const refused = [grpc.credentials.createSsl(Buffer.from(pki.ca.cert)), grpc.credentials.createInsecure()];
    for (const credentials of refused) {
      for (let i = 0; i < 3; i++) {
        const client = newClient(target, credentials);
        await expect(call(client, tc.request, 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
        client.close();
      }
    }
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    await sleep(20);
    socket.destroy();

    // No call from an untrusted client ever reached the function.
    expect(log.lines.filter((l) => l.msg === 'RunFunction')).toEqual([]);
    await expectServes(target, all, trusted());
  });

  it('answers concurrent trusted calls while untrusted clients keep knocking', async () => {
    const tc = all[0] as Case;
    const good = newClient(target, trusted());
    const intruders = Array.from({ length: 5 }, () => newClient(target, grpc.credentials.createSsl(Buffer.from(pki.ca.cert))));
    try {
      const knocks = intruders.map((client) => call(client, tc.request, 3000).then(() => 'served', () => 'refused'));
      const answers = Array.from({ length: 200 }, () => call(good, tc.request, 30_000).then((r) => responseBytes(r).equals(tc.expected)));
      expect(await Promise.all(knocks)).toEqual(intruders.map(() => 'refused'));
      expect((await Promise.all(answers)).every(Boolean)).toBe(true);
    } finally {
      good.close();
      for (const client of intruders) client.close();
    }
  });
});
