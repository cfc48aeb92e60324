import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../functions/platform/src/kinds/index.js';
import { OUTCOMES, UNKNOWN_KIND, kindLabel } from '../functions/platform/src/metrics.js';
import { loopbackServerOptions, startFunctionServer, type FunctionServerOptions } from '../functions/platform/src/server.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { call, callRaw, newClient } from './helpers/grpc-client.js';
import { request, storageXr, withPlatformEnvironment } from './helpers/requests.js';

const base: FunctionServerOptions = loopbackServerOptions({ maxRecvMessageBytes: 1 << 20 });

async function scrape(port: number, path = '/metrics'): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

/** Sample value of one series in the exposition text, by metric name and exact label set. */
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (have.length === wanted.length && wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return undefined;
}

/** Every value a label takes in a metric family. */
function labelValues(body: string, prefix: string, label: string): string[] {
  const values = new Set<string>();
  for (const line of body.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const match = new RegExp(`${label}="([^"]*)"`).exec(line);
    if (match?.[1] !== undefined) values.add(match[1]);
  }
  return [...values].sort();
}

describe('Prometheus metrics, scraped after real gRPC calls', () => {
  it('counts calls and times them by XR kind and outcome, with only bounded label values', async () => {
    const server = await startFunctionServer({ ...base, metricsAddress: '127.0.0.1:0' });
    const port = server.metricsPort ?? 0;
    expect(port).toBeGreaterThan(0);
    const client = newClient(`127.0.0.1:${server.port}`);
    try {
      const composed = request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() });
      await call(client, composed);
      await call(client, composed);
      await call(client, request(storageXr({ size: '10Gi' }))); // platform-environment not fetched: fatal
      await call(client, request(storageXr({ size: 'huge' }), { required: withPlatformEnvironment() })); // fatal
      // Kinds come from the request: a thousand made-up kinds must not make a thousand series.
      for (let i = 0; i < 20; i++) await call(client, request({ ...storageXr({ size: '1Gi' }), kind: `Made${i}Up` }));
      await call(client, request({ apiVersion: 'v1', kind: 'ConfigMap' }));
      // Malformed protobuf fails in grpc-js before the handler: no kind, no outcome to count.
      await expect(callRaw(client, Buffer.from([0x0a, 0xff, 0xff]))).rejects.toBeDefined();

      const { status, contentType, body } = await scrape(port);
      expect(status).toBe(200);
      expect(contentType).toContain('text/plain');
      const count = (kind: string, outcome: string) => sample(body, 'function_run_function_requests_total', { kind, outcome });
      expect(count('Storage', 'composed')).toBe(2);
      expect(count('Storage', 'fatal')).toBe(2);
      expect(count(UNKNOWN_KIND, 'fatal')).toBe(21);
      expect(count('Storage', 'error')).toBe(0);
      expect(sample(body, 'function_run_function_duration_seconds_count', { kind: 'Storage', outcome: 'composed' })).toBe(2);
      expect(sample(body, 'function_run_function_duration_seconds_bucket', { kind: 'Storage', outcome: 'composed', le: '+Inf' })).toBe(2);
      expect(sample(body, 'function_run_function_duration_seconds_sum', { kind: 'Storage', outcome: 'composed' })).toBeGreaterThan(0);

      const kinds = [...KINDS.map((k) => k.kind), UNKNOWN_KIND].sort();
      expect(labelValues(body, 'function_run_function_', 'kind')).toEqual(kinds);
      expect(labelValues(body, 'function_run_function_', 'outcome')).toEqual([...OUTCOMES].sort());
      // Every kind and outcome exists from the start, so rate() and alerts see zeros, not gaps.
      expect(count('Environment', 'composed')).toBe(0);
      // Process metrics for sizing replicas.
      expect(body).toContain('process_cpu_seconds_total');
      expect(body).toContain('process_resident_memory_bytes');
      expect(body).toContain('nodejs_eventloop_lag_seconds');

      expect((await scrape(port, '/')).status).toBe(404);
    } finally {
      client.close();
      await server.shutdown();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('maps only served kinds to themselves', () => {
    for (const { kind } of KINDS) expect(kindLabel(kind)).toBe(kind);
    expect(kindLabel(undefined)).toBe(UNKNOWN_KIND);
    expect(kindLabel('constructor')).toBe(UNKNOWN_KIND);
    expect(kindLabel('storage')).toBe(UNKNOWN_KIND);
  });

  it('keeps serving RunFunction when the metrics port is taken, and says so', async () => {
    const first = await startFunctionServer({ ...base, metricsAddress: '127.0.0.1:0' });
    const reported: string[] = [];
    const second = await startFunctionServer({ ...base, metricsAddress: `127.0.0.1:${String(first.metricsPort)}`, onListenerError: (listener) => reported.push(listener) });
    try {
      expect(reported).toEqual(['metrics']);
      expect(second.metricsPort).toBeUndefined();
    } finally {
      await second.shutdown();
      await first.shutdown();
    }
  });
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts main as `npm start` does, runs `whileServing` against the serving line, then sends SIGTERM. */
function runMain(args: string[], whileServing: (serving: Record<string, unknown>) => Promise<void>): Promise<Exit & { error?: unknown }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'functions/platform/src/main.ts'), ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    let started = false;
    let error: unknown;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.includes('serving RunFunction'));
      if (line === undefined || started) return;
      started = true;
      whileServing(JSON.parse(line) as Record<string, unknown>)
        .catch((e: unknown) => (error = e))
        .finally(() => child.kill('SIGTERM'));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, error });
    });
  });
}

describe('function process flags', () => {
  it('serves /metrics at --metrics-address and health at --health-address, naming both ports in the serving line', async () => {
    const exit = await runMain(['--insecure', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--health-address', '127.0.0.1:0'], async (serving) => {
      expect(serving.healthPort).toEqual(expect.any(Number));
      const { status, body } = await scrape(Number(serving.metricsPort));
      expect(status).toBe(200);
      expect(body).toContain('function_run_function_requests_total');
    });
    expect(exit.error).toBeUndefined();
    expect(exit.code).toBe(0);
  });

  it('serves neither with --metrics-address="" --health-address=""', async () => {
    const exit = await runMain(['--insecure', '--address', '127.0.0.1:0', '--metrics-address=', '--health-address='], async (serving) => {
      expect(serving.metricsPort).toBeUndefined();
      expect(serving.healthPort).toBeUndefined();
    });
    expect(exit.error).toBeUndefined();
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe('');
  });

  it('warns on stderr and keeps serving when the metrics address is bad', async () => {
    const exit = await runMain(['--insecure', '--address', '127.0.0.1:0', '--metrics-address', 'nonsense', '--health-address='], async (serving) => {
      expect(serving.metricsPort).toBeUndefined();
    });
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('warning: cannot serve metrics on nonsense: invalid address');
  });
});
