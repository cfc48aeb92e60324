import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { KINDS } from './kinds/index.js';
import type { RunSummary } from './run-function.js';

/** How a RunFunction call ended: the log line's outcome, or `error` when the call failed with a gRPC error. */
export type CallOutcome = RunSummary['outcome'] | 'error';

/** Every outcome label value. */
export const OUTCOMES: readonly CallOutcome[] = ['composed', 'fatal', 'error'];

/**
 * The `kind` label for anything that is not a kind this function composes (a
 * request without an XR, or an XR of another kind). Kinds come from requests,
 * so taking them as they are would let any caller create label values without bound.
 */
export const UNKNOWN_KIND = 'unknown';

const SERVED_KINDS = new Set(KINDS.map((definition) => definition.kind));

/** The bounded `kind` label value for an XR kind. */
export function kindLabel(kind: string | undefined): string {
  return kind !== undefined && SERVED_KINDS.has(kind) ? kind : UNKNOWN_KIND;
}

/**
 * Latency buckets in seconds: fine below 10 ms, where every kind composes
 * (docs/benchmark.md), and reaching 5 s for a machine under pressure.
 */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The function's Prometheus metrics: request counts and latency by XR kind and outcome. */
export class FunctionMetrics {
  /** A registry of our own, so tests and several servers in one process never share counters. */
  readonly registry = new Registry();
  private readonly requests: Counter<'kind' | 'outcome'>;
  private readonly duration: Histogram<'kind' | 'outcome'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    this.requests = new Counter({
      name: 'function_run_function_requests_total',
      help: 'RunFunction calls by XR kind (unknown for kinds this function does not compose) and outcome (composed, requirements, fatal, error).',
      labelNames: ['kind', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'function_run_function_duration_seconds',
      help: 'Time to answer a RunFunction call (request bytes to response bytes), by XR kind and outcome.',
      labelNames: ['kind', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    // Zero series for every kind and outcome, so rates and alerts work before the first call of each.
    for (const kind of [...SERVED_KINDS, UNKNOWN_KIND]) {
      for (const outcome of OUTCOMES) {
        this.requests.labels(kind, outcome).inc(0);
        this.duration.labels(kind, outcome);
      }
    }
    // Process CPU, memory, event-loop lag and GC: what replica sizing needs.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one call. */
  observe(kind: string | undefined, outcome: CallOutcome, seconds: number): void {
    const label = kindLabel(kind);
    this.requests.labels(label, outcome).inc();
    this.duration.labels(label, outcome).observe(seconds);
  }

  /** The exposition text for a scrape. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A running metrics endpoint. */
export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on `host:port` (port 0 picks one). Anything else is a
 * 404: the endpoint answers Prometheus only, and holds nothing secret (labels
 * are kinds and outcomes, never names or namespaces).
 */
export function startMetricsServer(address: string, metrics: FunctionMetrics): Promise<MetricsServer> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || address.slice(colon + 1) === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    return Promise.reject(new Error(`invalid address "${address}": use host:port, such as 0.0.0.0:8080`));
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape GET /metrics\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${String(error)}\n`),
    );
  });
  // A scrape that hangs must not keep the process alive at shutdown.
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      server.off('error', reject);
      const bound = server.address();
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
