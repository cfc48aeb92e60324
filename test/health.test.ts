import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_RUNNER_SERVICE,
  HEALTH_SERVICE,
  ServingStatus,
  decodeHealthCheckRequest,
  encodeHealthCheckRequest,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../functions/platform/src/health.js';
import { loopbackServerOptions, startFunctionServer, type FunctionServer, type FunctionServerOptions } from '../functions/platform/src/server.js';
import { generatePki, writeServerCerts } from './helpers/certs.js';
import { call, newClient } from './helpers/grpc-client.js';
import { request, storageXr, withPlatformEnvironment } from './helpers/requests.js';

const HealthClient = grpc.makeGenericClientConstructor(HEALTH_SERVICE, 'Health');

function healthClient(target: string, credentials = grpc.credentials.createInsecure()): grpc.Client {
  return new HealthClient(target, credentials);
}

function check(client: grpc.Client, service: string): Promise<HealthCheckResponse> {
  const method = HEALTH_SERVICE.check;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, { service }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error, response) => {
      if (error || response === undefined) reject(error ?? new Error('no response'));
      else resolve(response);
    });
  });
}

/** Opens a Watch and collects what it streams until the stream ends. */
function watch(client: grpc.Client, service: string): { statuses: ServingStatus[]; ended: Promise<grpc.StatusObject> } {
  const method = HEALTH_SERVICE.watch;
  const stream = client.makeServerStreamRequest<HealthCheckRequest, HealthCheckResponse>(method.path, method.requestSerialize, method.responseDeserialize, { service });
  const statuses: ServingStatus[] = [];
  stream.on('data', (response: HealthCheckResponse) => statuses.push(response.status));
  stream.on('error', () => {});
  const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
  return { statuses, ended };
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const base: FunctionServerOptions = loopbackServerOptions({ maxRecvMessageBytes: 1 << 20, shutdownGraceMs: 2000 });

describe('grpc.health.v1 codec', () => {
  it('round-trips a request and skips unknown fields', () => {
    expect(decodeHealthCheckRequest(encodeHealthCheckRequest({ service: FUNCTION_RUNNER_SERVICE }))).toEqual({ service: FUNCTION_RUNNER_SERVICE });
    expect(decodeHealthCheckRequest(Buffer.alloc(0))).toEqual({ service: '' });
    // field 2 varint 7, then field 1 "x": unknown fields come first and are skipped
    expect(decodeHealthCheckRequest(Buffer.from([0x10, 0x07, 0x0a, 0x01, 0x78]))).toEqual({ service: 'x' });
    expect(() => decodeHealthCheckRequest(Buffer.from([0x0a, 0x05, 0x78]))).toThrow(/malformed/);
  });
});

describe('health service over real gRPC', () => {
  it('answers Check on the RunFunction port: SERVING for the server and RunFunction, NOT_FOUND for other services', async () => {
    const server = await startFunctionServer(base);
    const client = healthClient(`127.0.0.1:${server.port}`);
    try {
      expect(await check(client, '')).toEqual({ status: ServingStatus.SERVING });
      expect(await check(client, FUNCTION_RUNNER_SERVICE)).toEqual({ status: ServingStatus.SERVING });
      await expect(check(client, 'no.such.Service')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  it('Watch streams SERVING, then NOT_SERVING at shutdown, and ends so shutdown does not wait out the grace period', async () => {
    const server = await startFunctionServer({ ...base, shutdownGraceMs: 20_000 });
    const client = healthClient(`127.0.0.1:${server.port}`);
    try {
      const watched = watch(client, '');
      const unknown = watch(client, 'no.such.Service');
      await until(() => watched.statuses.length === 1 && unknown.statuses.length === 1);
      expect(watched.statuses).toEqual([ServingStatus.SERVING]);
      expect(unknown.statuses).toEqual([ServingStatus.SERVICE_UNKNOWN]);
      const started = Date.now();
      await server.shutdown();
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await watched.ended).code).toBe(grpc.status.OK);
      expect(watched.statuses).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      expect(server.health.get('')).toBe(ServingStatus.NOT_SERVING);
    } finally {
      client.close();
    }
  });

  it('streams NOT_SERVING to watchers of the probe port at shutdown, then closes it', async () => {
    const server = await startFunctionServer({ ...base, healthAddress: '127.0.0.1:0' });
    expect(server.healthPort).toBeGreaterThan(0);
    const probe = healthClient(`127.0.0.1:${String(server.healthPort)}`);
    const watched = watch(probe, FUNCTION_RUNNER_SERVICE);
    try {
      expect(await check(probe, '')).toEqual({ status: ServingStatus.SERVING });
      await until(() => watched.statuses.length === 1);
      // A RunFunction call is still served while the health state changes.
      const fn = newClient(`127.0.0.1:${server.port}`);
      await call(fn, request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() }));
      fn.close();
      const stopping = server.shutdown();
      await until(() => watched.statuses.length === 2);
      expect(watched.statuses).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
      await stopping;
      // A new connection, as the next kubelet probe makes: the port is closed.
      const next = healthClient(`127.0.0.1:${String(server.healthPort)}`);
      await expect(check(next, '')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      next.close();
    } finally {
      probe.close();
    }
  });

  it('serves the probe port in plaintext while RunFunction requires mTLS (the kubelet probe has no client certificate)', async () => {
    const pki = generatePki('health');
    const dir = mkdtempSync(join(tmpdir(), 'fn-health-tls-'));
    writeServerCerts(dir, pki);
    let server: FunctionServer | undefined;
    const clients: grpc.Client[] = [];
    try {
      server = await startFunctionServer({ ...base, insecure: false, tlsServerCertsDir: dir, healthAddress: '127.0.0.1:0' });
      const probe = healthClient(`127.0.0.1:${String(server.healthPort)}`);
      const plaintextOnTlsPort = healthClient(`127.0.0.1:${server.port}`);
      const mtls = healthClient(
        `127.0.0.1:${server.port}`,
        grpc.credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(pki.client.key), Buffer.from(pki.client.cert)),
      );
      clients.push(probe, plaintextOnTlsPort, mtls);
      expect(await check(probe, '')).toEqual({ status: ServingStatus.SERVING });
      expect(await check(mtls, FUNCTION_RUNNER_SERVICE)).toEqual({ status: ServingStatus.SERVING });
      await expect(check(plaintextOnTlsPort, '')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      for (const client of clients) client.close();
      await server?.shutdown();
    }
  });

  it('keeps serving RunFunction when the probe port is taken, and says so', async () => {
    const first = await startFunctionServer({ ...base, healthAddress: '127.0.0.1:0' });
    const reported: string[] = [];
    const second = await startFunctionServer({
      ...base,
      healthAddress: `127.0.0.1:${String(first.healthPort)}`,
      onListenerError: (listener, address) => reported.push(`${listener} ${address}`),
    });
    try {
      expect(reported).toEqual([`health 127.0.0.1:${String(first.healthPort)}`]);
      expect(second.healthPort).toBeUndefined();
      const client = newClient(`127.0.0.1:${second.port}`);
      const response = await call(client, request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() }));
      expect(Object.keys(response.desired?.resources ?? {})).toEqual(['claim']);
      client.close();
    } finally {
      await second.shutdown();
      await first.shutdown();
    }
  });
});
