import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { pino, type Logger } from 'pino';
import { runFunction, type RunSummary } from './run-function.js';
import { HealthStatus, ServingStatus } from './health.js';
import { FunctionMetrics, startMetricsServer, type MetricsServer } from './metrics.js';

/**
 * Calls one client connection (Crossplane's) may have in flight; more wait in the
 * client (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS) until one ends. The handler
 * composes one call at a time, so streams past a few add no throughput, only
 * their request and response buffers (memory: docs/contributing.md). Eight keeps the
 * next requests arriving while one composes.
 */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 8;

/** 16 MiB: a prod Environment's observed state outgrows gRPC's 4 MiB default. */
export const DEFAULT_MAX_RECV_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Where Crossplane's package manager mounts the function's TLS certificates. */
export const DEFAULT_TLS_SERVER_CERTS_DIR = '/tls/server';

/** Options of {@link startFunctionServer}. */
export interface FunctionServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  address: string;
  /** Serve plaintext (local development only). */
  insecure: boolean;
  /** Directory with tls.key, tls.crt and ca.crt; used unless insecure. */
  tlsServerCertsDir: string;
  maxRecvMessageBytes: number;
  /** TTL of every response, in seconds. */
  ttlSeconds: number;
  /** How long a graceful shutdown waits for calls in flight before cutting them. */
  shutdownGraceMs: number;
  logger: Logger;
  /**
   * host:port of the Prometheus endpoint (`GET /metrics`); unset or empty serves none.
   * Calls are counted either way when `metrics` is given.
   */
  metricsAddress?: string;
  /** Where calls are counted; one is made when `metricsAddress` is set and this is not. */
  metrics?: FunctionMetrics;
  /**
   * host:port of a plaintext gRPC server answering only `grpc.health.v1.Health`, for
   * the kubelet's gRPC probe, which cannot present the client certificate the
   * RunFunction port requires. Unset or empty serves none (Health is on the
   * RunFunction port either way).
   */
  healthAddress?: string;
  /**
   * Called when the metrics or health listener cannot start. They are best effort:
   * RunFunction keeps serving without them. Defaults to a warning in the log.
   */
  onListenerError?: (listener: 'metrics' | 'health', address: string, reason: string) => void;
  /** Calls in flight per client connection. Defaults to {@link DEFAULT_MAX_CONCURRENT_STREAMS}. */
  maxConcurrentStreams?: number;
}

/** A running function server. */
export interface FunctionServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Port of the metrics endpoint, or undefined when none is served. */
  metricsPort?: number;
  /** Port of the plaintext health server, or undefined when none is served. */
  healthPort?: number;
  /** What the Health service reports; SERVING while serving, NOT_SERVING from shutdown on. */
  health: HealthStatus;
  /** Stops taking calls, waits for those in flight up to the grace period, then closes. */
  shutdown(): Promise<void>;
}

/** A start-up failure with a message fit for a person; main turns it into exit code 1. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * mTLS credentials that require a client certificate signed by ca.crt. The
 * SDK's own helper makes the client certificate optional; Crossplane's
 * function spec says the function must verify its caller.
 */
export function loadServerCredentials(dir: string): grpc.ServerCredentials {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StartupError(
        `cannot load TLS certificates from ${dir}: ${reason}. Mount tls.key, tls.crt and ca.crt there (TLS_SERVER_CERTS_DIR or --tls-server-certs-dir), or pass --insecure for local development`,
      );
    }
  };
  const privateKey = read('tls.key');
  const certChain = read('tls.crt');
  const rootCerts = read('ca.crt');
  return grpc.ServerCredentials.createSsl(rootCerts, [{ private_key: privateKey, cert_chain: certChain }], true);
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) reject(new StartupError(`cannot listen on ${address}: ${error.message}`));
      else resolve(port);
    });
  });
}

/**
 * Options for a plaintext server on a free loopback port with a silent log:
 * what `npm run render` and the tests run in-process. Overrides win.
 */
export function loopbackServerOptions(overrides: Partial<FunctionServerOptions> = {}): FunctionServerOptions {
  return {
    address: '127.0.0.1:0',
    insecure: true,
    tlsServerCertsDir: '',
    maxRecvMessageBytes: DEFAULT_MAX_RECV_MESSAGE_BYTES,
    ttlSeconds: 60,
    shutdownGraceMs: 1000,
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}

/**
 * Starts the gRPC server that answers Crossplane's RunFunction calls. One log
 * line per call: the XR's kind and name, what was composed, how long it took;
 * never the request itself, which can hold connection details.
 */
export async function startFunctionServer(options: FunctionServerOptions): Promise<FunctionServer> {
  const { logger } = options;
  const credentials = options.insecure ? grpc.ServerCredentials.createInsecure() : loadServerCredentials(options.tlsServerCertsDir);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxRecvMessageBytes,
    'grpc.max_send_message_length': options.maxRecvMessageBytes,
    'grpc.max_concurrent_streams': options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
  });

  const metrics = options.metrics ?? (options.metricsAddress ? new FunctionMetrics() : undefined);
  const health = new HealthStatus();
  health.addTo(server);

  const logCall = (summary: RunSummary, elapsedMs: number) => {
    metrics?.observe(summary.kind, summary.outcome, elapsedMs / 1000);
    const line = {
      kind: summary.kind,
      namespace: summary.namespace,
      name: summary.name,
      outcome: summary.outcome,
      resources: summary.resources,
      durationMs: Math.round(elapsedMs * 1000) / 1000,
    };
    if (summary.outcome === 'fatal') logger.warn({ ...line, message: summary.message }, 'RunFunction');
    else logger.info(line, 'RunFunction');
  };

  // Every call composes: the answer is a pure function of the request, and nothing of an
  // earlier call is kept. Caching is Crossplane's (--enable-function-response-cache,
  // docs/operations.md), which keys on the tag and honours the response's TTL.
  const runFunctionCall: grpc.handleUnaryCall<RunFunctionRequest, RunFunctionResponse> = (call, callback) => {
    const started = performance.now();
    try {
      const { response, summary } = runFunction(call.request, { ttlSeconds: options.ttlSeconds });
      logCall(summary, performance.now() - started);
      callback(null, response);
    } catch (error) {
      // runFunction turns every failure into a Fatal; reaching here is a bug, and the
      // server must keep serving, so answer this call with an error and carry on.
      logger.error({ err: error }, 'RunFunction failed unexpectedly');
      metrics?.observe(undefined, 'error', (performance.now() - started) / 1000);
      callback({ code: grpc.status.INTERNAL, details: 'internal error' });
    }
  };
  // The SDK's service definition and codecs. Malformed protobuf fails in its deserializer,
  // and grpc-js answers INTERNAL without calling the handler (there is no XR to report on).
  server.addService(FunctionRunnerServiceService, { runFunction: runFunctionCall });

  const port = await bind(server, options.address, credentials);
  const reportListenerError =
    options.onListenerError ?? ((listener, address, reason) => logger.warn({ listener, address, reason }, `cannot serve ${listener}; RunFunction serves without it`));

  // Best effort, after RunFunction is bound: a busy metrics or probe port must not
  // stop compositions (the scrape target going down, or failing probes, say so).
  let metricsServer: MetricsServer | undefined;
  if (options.metricsAddress && metrics !== undefined) {
    try {
      metricsServer = await startMetricsServer(options.metricsAddress, metrics);
    } catch (error) {
      reportListenerError('metrics', options.metricsAddress, error instanceof Error ? error.message : String(error));
    }
  }
  let healthServer: grpc.Server | undefined;
  let healthPort: number | undefined;
  if (options.healthAddress) {
    const candidate = new grpc.Server();
    health.addTo(candidate);
    try {
      healthPort = await bind(candidate, options.healthAddress, grpc.ServerCredentials.createInsecure());
      healthServer = candidate;
    } catch (error) {
      candidate.forceShutdown();
      reportListenerError('health', options.healthAddress, error instanceof Error ? error.message : String(error));
    }
  }
  health.setAll(ServingStatus.SERVING);
  logger.info(
    {
      address: options.address,
      port,
      tls: !options.insecure,
      ...(metricsServer !== undefined ? { metricsPort: metricsServer.port } : {}),
      ...(healthPort !== undefined ? { healthPort } : {}),
    },
    'serving RunFunction',
  );

  const closeSideServers = async () => {
    health.endWatches();
    healthServer?.forceShutdown();
    await metricsServer?.close();
  };

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    // NOT_SERVING first, so probes and watchers see the pod leaving while calls drain.
    health.setAll(ServingStatus.NOT_SERVING);
    health.endWatches();
    stopping ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        logger.warn({ graceMs: options.shutdownGraceMs }, 'grace period over, closing open calls');
        server.forceShutdown();
        resolve();
      }, options.shutdownGraceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    }).then(closeSideServers);
    return stopping;
  };
  return {
    port,
    health,
    shutdown,
    ...(metricsServer !== undefined ? { metricsPort: metricsServer.port } : {}),
    ...(healthPort !== undefined ? { healthPort } : {}),
  };
}
