import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as http2 from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Severity } from '@crossplane-org/function-sdk-typescript';
import { DEFAULT_MAX_CONCURRENT_STREAMS, loopbackServerOptions, startFunctionServer, type FunctionServer } from '../functions/platform/src/server.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { generatePki, writeServerCerts, type TestPki } from './helpers/certs.js';
import { call, callRaw, newClient } from './helpers/grpc-client.js';
import { request, storageXr, withPlatformEnvironment } from './helpers/requests.js';

const goodRequest = () => request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() });

describe('server over real gRPC (insecure)', () => {
  let server: FunctionServer;
  beforeAll(async () => {
    server = await startFunctionServer(loopbackServerOptions({ maxRecvMessageBytes: 1 << 20, ttlSeconds: 30 }));
  });
  afterAll(async () => server.shutdown());

  it('composes a Storage', async () => {
    const client = newClient(`127.0.0.1:${server.port}`);
    const response = await call(client, goodRequest());
    expect(response.meta).toEqual({ tag: 'tag-1', ttl: { seconds: 30, nanos: 0 } });
    expect(Object.keys(response.desired?.resources ?? {})).toEqual(['claim']);
    client.close();
  });

  it('refuses a request over the receive limit and keeps serving', async () => {
    const client = newClient(`127.0.0.1:${server.port}`);
    const big = goodRequest();
    big.context = { padding: 'x'.repeat(2 << 20) };
    await expect(call(client, big)).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
    const response = await call(client, goodRequest());
    expect(response.results).toEqual([]);
    client.close();
  });

  it('answers malformed protobuf with an error and keeps serving', async () => {
    const client = newClient(`127.0.0.1:${server.port}`);
    await expect(callRaw(client, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))).rejects.toMatchObject({ code: grpc.status.INTERNAL });
    const response = await call(client, goodRequest());
    expect(Object.keys(response.desired?.resources ?? {})).toEqual(['claim']);
    client.close();
  });

  it('answers bad input with a Fatal result, not a gRPC error', async () => {
    const client = newClient(`127.0.0.1:${server.port}`);
    const response = await call(client, request(storageXr({ size: 'huge' }), { required: withPlatformEnvironment() }));
    expect(response.results.map((r) => r.severity)).toEqual([Severity.SEVERITY_FATAL]);
    expect(response.results[0]?.message).toContain('spec.size:');
    client.close();
  });
});

describe('server with mTLS', () => {
  let pki: TestPki;
  let server: FunctionServer;
  beforeAll(async () => {
    pki = generatePki('function');
    const dir = mkdtempSync(join(tmpdir(), 'fn-tls-'));
    writeServerCerts(dir, pki);
    server = await startFunctionServer(loopbackServerOptions({ insecure: false, tlsServerCertsDir: dir, maxRecvMessageBytes: 1 << 20 }));
  });
  afterAll(async () => server.shutdown());

  const target = () => `127.0.0.1:${server.port}`;

  it('serves a client with a certificate signed by the CA', async () => {
    const client = newClient(target(), grpc.credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(pki.client.key), Buffer.from(pki.client.cert)));
    const response = await call(client, goodRequest());
    expect(Object.keys(response.desired?.resources ?? {})).toEqual(['claim']);
    client.close();
  });

  it('refuses a client without a certificate', async () => {
    const client = newClient(target(), grpc.credentials.createSsl(Buffer.from(pki.ca.cert)));
    await expect(call(client, goodRequest(), 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    client.close();
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const stranger = generatePki('stranger');
    const client = newClient(target(), grpc.credentials.createSsl(Buffer.from(pki.ca.cert), Buffer.from(stranger.client.key), Buffer.from(stranger.client.cert)));
    await expect(call(client, goodRequest(), 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    client.close();
  });

  it('refuses a plaintext client', async () => {
    const client = newClient(target());
    await expect(call(client, goodRequest(), 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    client.close();
  });
});

describe('calls in flight per connection', () => {
  /** The SETTINGS a plain HTTP/2 client gets from the server. */
  const advertised = (port: number) =>
    new Promise<http2.Settings>((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.once('error', reject);
      session.once('remoteSettings', (settings) => {
        session.close();
        resolve(settings);
      });
    });

  it('are bounded by HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS, and calls past the bound wait and are answered', async () => {
    const server = await startFunctionServer(loopbackServerOptions({ maxRecvMessageBytes: 1 << 20 }));
    const small = await startFunctionServer(loopbackServerOptions({ maxRecvMessageBytes: 1 << 20, maxConcurrentStreams: 2 }));
    try {
      expect((await advertised(server.port)).maxConcurrentStreams).toBe(DEFAULT_MAX_CONCURRENT_STREAMS);
      expect((await advertised(small.port)).maxConcurrentStreams).toBe(2);
      // Twenty calls at once on one connection that admits two: every one is answered.
      const client = newClient(`127.0.0.1:${small.port}`);
      const responses = await Promise.all(Array.from({ length: 20 }, () => call(client, goodRequest())));
      expect(responses.map((r) => Object.keys(r.desired?.resources ?? {}))).toEqual(Array.from({ length: 20 }, () => ['claim']));
      client.close();
    } finally {
      await server.shutdown();
      await small.shutdown();
    }
  });
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the function's main the way `npm start` does, optionally signalling it once it serves. */
function runMain(args: string[], options: { env?: NodeJS.ProcessEnv; signalWhenServing?: NodeJS.Signals } = {}): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'functions/platform/src/main.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.signalWhenServing && !signalled && stdout.includes('serving RunFunction')) {
        signalled = true;
        child.kill(options.signalWhenServing);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function freePortInUse(): Promise<{ port: number; close: () => void }> {
  return new Promise((resolve) => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1', () => {
      const address = blocker.address();
      resolve({ port: typeof address === 'object' && address !== null ? address.port : 0, close: () => blocker.close() });
    });
  });
}

describe('function process', () => {
  it('exits non-zero with a clear message when there are neither certificates nor --insecure', async () => {
    const exit = await runMain(['--address', '127.0.0.1:0'], { env: { TLS_SERVER_CERTS_DIR: join(tmpdir(), 'no-such-certs') } });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/cannot load TLS certificates from .*no-such-certs.*or pass --insecure/);
  });

  it('exits non-zero with a clear message when the port is in use', async () => {
    const blocker = await freePortInUse();
    try {
      const exit = await runMain(['--insecure', '--address', `127.0.0.1:${blocker.port}`]);
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`cannot listen on 127.0.0.1:${blocker.port}`);
    } finally {
      blocker.close();
    }
  });

  it('exits non-zero on a bad address', async () => {
    const exit = await runMain(['--insecure', '--address', 'not an address']);
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('cannot listen on not an address');
  });

  it('exits 2 on an unknown flag', async () => {
    const exit = await runMain(['--insecure', '--no-such-flag']);
    expect(exit.code).toBe(2);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`shuts down gracefully on ${signal}`, async () => {
      const exit = await runMain(['--insecure', '--address', '127.0.0.1:0'], { signalWhenServing: signal });
      expect(exit.code).toBe(0);
      const lines = exit.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => l.msg)).toEqual(['serving RunFunction', 'shutting down', 'stopped']);
    });
  }
});

describe('request logging', () => {
  it('writes one structured line per call with kind, name, outcome, resources and duration, and nothing of the request', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const server = await startFunctionServer(loopbackServerOptions({ maxRecvMessageBytes: 1 << 20, logger }));
    const client = newClient(`127.0.0.1:${server.port}`);
    try {
      await call(client, goodRequest());
      await call(client, request(storageXr({ size: 'huge' }), { required: withPlatformEnvironment() }));
    } finally {
      client.close();
      await server.shutdown();
    }
    const calls = lines.filter((l) => l.msg === 'RunFunction');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ kind: 'Storage', namespace: 'forge-api', name: 'data', outcome: 'composed', resources: 1 });
    expect(typeof calls[0]?.durationMs).toBe('number');
    expect(calls[1]).toMatchObject({ kind: 'Storage', outcome: 'fatal', resources: 0 });
    const text = JSON.stringify(lines);
    // Neither config data nor the spec reaches the log, only identities and counts.
    expect(text).not.toContain('rds.amazonaws.com');
    expect(text).not.toContain('10Gi');
  });
});
