#!/usr/bin/env node
import { format, parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_RECV_MESSAGE_BYTES,
  DEFAULT_TLS_SERVER_CERTS_DIR,
  StartupError,
  startFunctionServer,
} from './server.js';

const USAGE = `Usage: function-platform [flags]

The Catalyst Forge composition function (Crossplane RunFunction over gRPC).
Every listener binds loopback unless told otherwise: the container image passes
0.0.0.0 addresses (Dockerfile ENTRYPOINT), so a developer's machine never
exposes the function by default.

Flags:
  --address <host:port>            Listen address. Default 127.0.0.1:9443.
  --insecure                       Serve without TLS (local development only).
  --tls-server-certs-dir <dir>     Directory with tls.key, tls.crt, ca.crt (mTLS, client
                                   certificate required). Default $TLS_SERVER_CERTS_DIR or
                                   ${DEFAULT_TLS_SERVER_CERTS_DIR}.
  --max-recv-message-size <size>   Largest request accepted, in bytes or with KiB/MiB.
                                   Default 16MiB.
  --max-concurrent-streams <n>     Calls one client connection may have in flight; more wait
                                   in the client. Default ${DEFAULT_MAX_CONCURRENT_STREAMS}.
  --ttl <duration>                 The responses' meta.ttl: when Crossplane calls again at the
                                   latest, and how long its response cache (if enabled) may
                                   answer for the function (e.g. 60s, 5m). Default 60s.
  --grace-period <duration>        Shutdown wait for calls in flight. Default 10s.
  --metrics-address <host:port>    Prometheus endpoint (GET /metrics). Default 127.0.0.1:8080;
                                   --metrics-address="" serves none.
  --health-address <host:port>     Plaintext gRPC server answering only grpc.health.v1.Health,
                                   for kubelet gRPC probes. Default 127.0.0.1:8081;
                                   --health-address="" serves none.
  -d, --debug                      Debug logging.
  -h, --help                       Show this help.
`;

/** Parses `60s`, `5m`, `1h` or a bare number of seconds. */
export function parseDurationSeconds(text: string): number {
  const match = /^([0-9]+)(s|m|h)?$/.exec(text);
  if (match === null) throw new Error(`invalid duration "${text}": use a whole number of s, m or h, such as 60s`);
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  return Number(match[1]) * unit;
}

/** Parses `16777216`, `16MiB` or `512KiB`. */
export function parseBytes(text: string): number {
  const match = /^([0-9]+)(KiB|MiB)?$/.exec(text);
  if (match === null) throw new Error(`invalid size "${text}": use bytes, KiB or MiB, such as 16MiB`);
  const unit = match[2] === 'MiB' ? 1024 * 1024 : match[2] === 'KiB' ? 1024 : 1;
  const bytes = Number(match[1]) * unit;
  if (bytes < 1024 || bytes > 2 ** 31 - 1) throw new Error(`invalid size "${text}": must be between 1KiB and 2GiB`);
  return bytes;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: false,
      options: {
        address: { type: 'string', default: '127.0.0.1:9443' },
        insecure: { type: 'boolean', default: false },
        'tls-server-certs-dir': { type: 'string' },
        'max-recv-message-size': { type: 'string' },
        'max-concurrent-streams': { type: 'string' },
        ttl: { type: 'string', default: '60s' },
        'grace-period': { type: 'string', default: '10s' },
        'metrics-address': { type: 'string', default: '127.0.0.1:8080' },
        'health-address': { type: 'string', default: '127.0.0.1:8081' },
        debug: { type: 'boolean', short: 'd', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`function-platform: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  let ttlSeconds: number;
  let shutdownGraceMs: number;
  let maxRecvMessageBytes: number;
  let maxConcurrentStreams: number;
  try {
    ttlSeconds = parseDurationSeconds(values.ttl);
    shutdownGraceMs = parseDurationSeconds(values['grace-period']) * 1000;
    maxRecvMessageBytes =
      values['max-recv-message-size'] === undefined ? DEFAULT_MAX_RECV_MESSAGE_BYTES : parseBytes(values['max-recv-message-size']);
    const streams = values['max-concurrent-streams'];
    maxConcurrentStreams = streams === undefined ? DEFAULT_MAX_CONCURRENT_STREAMS : Number(streams);
    if (!/^[1-9][0-9]{0,5}$/.test(streams ?? '1')) throw new Error(`invalid --max-concurrent-streams "${streams}": use a whole number from 1 to 999999`);
  } catch (error) {
    process.stderr.write(`function-platform: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const logger = pino({
    level: values.debug ? 'debug' : 'info',
    base: { service: 'function-platform' },
    formatters: { level: (label) => ({ severity: label.toUpperCase() }) },
    // Requests never reach the log, but redact in case an error object carries one.
    redact: ['req', 'request', 'connectionDetails', 'credentials'],
  });

  // grpc-js prints its own errors to stderr ("No address added ..."); we report those
  // ourselves, so route its log into ours at debug level.
  grpc.setLogger({ error: (...args: unknown[]) => logger.debug({ grpc: format(...args) }, 'grpc') });
  grpc.setLogVerbosity(values.debug ? grpc.logVerbosity.INFO : grpc.logVerbosity.ERROR);

  // Listen for signals before serving, so one that arrives during start-up still stops us cleanly.
  // Later signals are absorbed: the grace period already bounds how long shutdown takes.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    process.on('SIGTERM', resolve);
    process.on('SIGINT', resolve);
  });

  let server;
  try {
    server = await startFunctionServer({
      address: values.address,
      insecure: values.insecure,
      tlsServerCertsDir: values['tls-server-certs-dir'] ?? process.env.TLS_SERVER_CERTS_DIR ?? DEFAULT_TLS_SERVER_CERTS_DIR,
      maxRecvMessageBytes,
      maxConcurrentStreams,
      ttlSeconds,
      shutdownGraceMs,
      logger,
      metricsAddress: values['metrics-address'],
      healthAddress: values['health-address'],
      // stderr, like the start-up errors: a busy side port is worth a line a person reads,
      // and RunFunction keeps serving.
      onListenerError: (listener, address, reason) =>
        process.stderr.write(`function-platform: warning: cannot serve ${listener} on ${address}: ${reason}; RunFunction serves without it\n`),
    });
  } catch (error) {
    const message = error instanceof StartupError ? error.message : `cannot start: ${String(error)}`;
    process.stderr.write(`function-platform: ${message}\n`);
    logger.flush();
    return 1;
  }

  const signal = await stopSignal;
  logger.info({ signal }, 'shutting down');
  await server.shutdown();
  logger.info('stopped');
  logger.flush();
  return 0;
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`function-platform: unhandled rejection: ${String(reason)}\n`);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`function-platform: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
