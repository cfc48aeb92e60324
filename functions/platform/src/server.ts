import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService } from '@crossplane-org/function-sdk-typescript';
import { pino, type Logger } from 'pino';
import { DEFAULT_RENDER_MEMO_BYTES, IncrementalRenderer, MalformedRequestError } from './incremental.js';
import type { RunSummary } from './run-function.js';
import { DEFAULT_RESPONSE_CACHE_BYTES, ResponseCache, requestKey } from './response-cache.js';
import { HealthStatus, ServingStatus } from './health.js';
import { FunctionMetrics, startMetricsServer, type MetricsServer } from './metrics.js';

/**
 * Calls one client connection (Crossplane's) may have in flight; more wait in the
 * client (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS) until one ends. The handler
 * composes one call at a time, so streams past a few add no throughput, only
 * their request and response buffers: with 32 fully created Environments in
 * flight (220 KiB in, 175 KiB out each) the function peaked at 156 MiB RSS
 * unbounded, 139 MiB at 8, 135 MiB at 4 (docs/benchmark.md). Eight keeps the next
 * requests arriving while one composes.
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
  /**
   * Byte budget of the response cache (encoded responses by the request's
   * Crossplane tag or SHA-256, least recently used evicted first); 0 disables it. Defaults to
   * {@link DEFAULT_RESPONSE_CACHE_BYTES}.
   */
  responseCacheBytes?: number;
  /**
   * Byte budget of the last renders kept per XR for incremental rendering
   * (incremental.ts); 0 keeps none. Defaults to {@link DEFAULT_RENDER_MEMO_BYTES}.
   */
  renderMemoBytes?: number;
  /** Calls in flight per client connection. Defaults to {@link DEFAULT_MAX_CONCURRENT_STREAMS}. */
  maxConcurrentStreams?: number;
}

/**
 * Request bytes handled between two scavenges of the young generation: about
 * 37 calls of a fully created prod Environment, whose requests and responses
 * take about 15 MiB of gRPC buffers.
 */
export const SCAVENGE_AFTER_BYTES = 8 * 1024 * 1024;

/**
 * Bounds the gRPC buffers waiting to be freed. Each call's request and
 * response are buffers outside the V8 heap, freed when a scavenge finds their
 * small JS wrappers dead. A call that composes allocates about 2 MiB of heap,
 * so scavenges come every few calls; a cached or reused answer allocates tens
 * of KiB, so they came every few hundred, and 20-60 MiB of dead buffers piled
 * up meanwhile (a burst of reused Environment answers peaked 25 MiB over the
 * same burst composed). So after every {@link SCAVENGE_AFTER_BYTES} of requests
 * the server asks for a scavenge (young generation only, well under a
 * millisecond), after the answer is on its way. Needs `--expose-gc`
 * (V8_FLAGS, in the image's ENTRYPOINT); without it nothing is done.
 */
export class ExternalMemoryScavenger {
  private handledBytes = 0;

  /** @param collect V8's `gc` (present with `--expose-gc`); without it nothing is done. */
  constructor(private readonly collect: ((options: { type: 'minor'; execution: 'sync' }) => void) | undefined = exposedGc()) {}

  /** Counts a request's bytes; past the threshold, schedules a scavenge after the current call. */
  handled(bytes: number): void {
    const collect = this.collect;
    if (collect === undefined) return;
    this.handledBytes += bytes;
    if (this.handledBytes < SCAVENGE_AFTER_BYTES) return;
    this.handledBytes = 0;
    setImmediate(() => collect({ type: 'minor', execution: 'sync' }));
  }
}

/** V8's `gc`, when Node runs with `--expose-gc`; it takes V8's options object, which Node's types leave out. */
function exposedGc(): ((options: { type: 'minor'; execution: 'sync' }) => void) | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as (options: { type: 'minor'; execution: 'sync' }) => void) : undefined;
}

/** A request as the RunFunction handler gets it: still encoded, with its cache key. */
interface RawRequest {
  bytes: Buffer;
  /** The response cache key of `bytes` (requestKey); undefined when the cache is disabled (nothing to look up). */
  key?: string;
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
 * Starts the gRPC server that answers Crossplane's RunFunction calls. One log
 * line per call: the XR's kind and name, what was composed, how long it took;
 * never the request itself, which can hold connection details.
 */
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

  const cache = new ResponseCache(options.responseCacheBytes ?? DEFAULT_RESPONSE_CACHE_BYTES);
  const renderer = new IncrementalRenderer({ ttlSeconds: options.ttlSeconds }, options.renderMemoBytes ?? DEFAULT_RENDER_MEMO_BYTES);

  const logCall = (summary: RunSummary, elapsedMs: number, how: 'cached' | 'reused' | 'composed') => {
    metrics?.observe(summary.kind, summary.outcome, elapsedMs / 1000);
    const durationMs = Math.round(elapsedMs * 1000) / 1000;
    const line = {
      kind: summary.kind,
      namespace: summary.namespace,
      name: summary.name,
      outcome: summary.outcome,
      resources: summary.resources,
      durationMs,
      ...(how === 'cached' ? { cached: true } : how === 'reused' ? { reused: true } : {}),
    };
    if (summary.outcome === 'fatal') logger.warn({ ...line, message: summary.message }, 'RunFunction');
    else logger.info(line, 'RunFunction');
  };

  const scavenger = new ExternalMemoryScavenger();
  const runFunctionCall: grpc.handleUnaryCall<RawRequest, Buffer> = (call, callback) => {
    const started = performance.now();
    const { bytes, key } = call.request;
    scavenger.handled(bytes.length);
    const hit = key === undefined ? undefined : cache.get(key);
    if (hit !== undefined) {
      // Same request content as an earlier call (requestKey): the render is a pure function
      // of it, so its answer is the earlier one, byte for byte. Logged and counted like any call.
      // hit.bytes is a view into the cache's arena that the next store may overwrite:
      // grpc-js copies it into its own frame within this callback (test/response-cache.test.ts
      // checks answers under concurrent stores), so nothing here may defer the callback.
      logCall(hit.summary, performance.now() - started, 'cached');
      callback(null, hit.bytes);
      return;
    }
    try {
      // durationMs and the histogram time the render: request bytes to response bytes.
      const { answer, summary, reused } = renderer.render(bytes);
      // A reused answer is not stored again: the render memo holds it already, and answers it again as fast.
      if (key !== undefined && !reused) cache.set(key, { bytes: answer, summary });
      logCall(summary, performance.now() - started, reused ? 'reused' : 'composed');
      callback(null, answer);
    } catch (error) {
      if (error instanceof MalformedRequestError) {
        // What grpc-js answered when the codec was the service's deserializer: malformed
        // protobuf is the caller's problem, not a Fatal (there is no XR to report on).
        logger.debug({ reason: error.message }, 'cannot decode RunFunction request');
        callback({ code: grpc.status.INTERNAL, details: `Error deserializing request: ${error.message}` });
        return;
      }
      // runFunction turns every failure into a Fatal; reaching here is a bug, and the
      // server must keep serving, so answer this call with an error and carry on.
      logger.error({ err: error }, 'RunFunction failed unexpectedly');
      metrics?.observe(undefined, 'error', (performance.now() - started) / 1000);
      callback({ code: grpc.status.INTERNAL, details: 'internal error' });
    }
  };
  // The SDK's service definition (path, method, streaming flags) with raw bytes on the
  // server side: the deserializer only computes the cache key, so the handler can decide
  // whether to decode it (a cache hit never does); it answers encoded bytes, cached or fresh. The codec
  // (functions/platform/src/codec) is the SDK's bytes in about half the time (docs/function.md).
  const rawRunFunctionService = {
    runFunction: {
      ...FunctionRunnerServiceService.runFunction,
      requestDeserialize: (bytes: Buffer): RawRequest => (cache.enabled ? { bytes, key: requestKey(bytes) } : { bytes }),
      responseSerialize: (bytes: Buffer): Buffer => bytes,
    },
  } satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;
  server.addService(rawRunFunctionService, { runFunction: runFunctionCall });

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
