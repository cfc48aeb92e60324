import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import {
  FunctionRunnerServiceService,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import type { Logger } from 'pino';
import { runFunction } from './run-function.js';

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
}

/** A running function server. */
export interface FunctionServer {
  /** The port actually bound (useful with port 0). */
  port: number;
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
export async function startFunctionServer(options: FunctionServerOptions): Promise<FunctionServer> {
  const { logger } = options;
  const credentials = options.insecure ? grpc.ServerCredentials.createInsecure() : loadServerCredentials(options.tlsServerCertsDir);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxRecvMessageBytes,
    'grpc.max_send_message_length': options.maxRecvMessageBytes,
  });

  const runFunctionCall: grpc.handleUnaryCall<RunFunctionRequest, RunFunctionResponse> = (call, callback) => {
    const started = performance.now();
    try {
      const { response, summary } = runFunction(call.request, { ttlSeconds: options.ttlSeconds });
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      const line = { kind: summary.kind, namespace: summary.namespace, name: summary.name, outcome: summary.outcome, resources: summary.resources, durationMs };
      if (summary.outcome === 'fatal') logger.warn({ ...line, message: summary.message }, 'RunFunction');
      else logger.info(line, 'RunFunction');
      callback(null, response);
    } catch (error) {
      // runFunction turns every failure into a Fatal; reaching here is a bug, and the
      // server must keep serving, so answer this call with an error and carry on.
      logger.error({ err: error }, 'RunFunction failed unexpectedly');
      callback({ code: grpc.status.INTERNAL, details: 'internal error' });
    }
  };
  server.addService(FunctionRunnerServiceService, { runFunction: runFunctionCall });

  const port = await bind(server, options.address, credentials);
  logger.info({ address: options.address, port, tls: !options.insecure }, 'serving RunFunction');

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
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
    });
    return stopping;
  };
  return { port, shutdown };
}
