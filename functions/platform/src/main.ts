#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, parseArgs } from 'node:util';
// Everything else is imported in main(), after the re-run below: the process that
// re-runs itself has then loaded nothing but Node, which keeps start-up short, and
// scripts can import V8_FLAGS from here without starting anything.

/**
 * V8 heap flags the function runs with, wherever it runs: given by the function to
 * itself (below) in the image, and by `startServerProcess` (scripts/lib/bench.ts) to
 * the processes the benches measure, so they measure what the image runs. Measured on
 * the cold path (32 calls in flight, every call composed; docs/function.md, "Response
 * cache"): without them V8 sizes its heap from the machine's memory, so that load
 * peaked at 150-200 MiB RSS on a 24 GiB machine (16 MiB semi-spaces; old space let
 * grow to 4x its live size between collections), and would run with 1 MiB
 * semi-spaces in a pod limited to 512Mi. With them (and the 16 MiB response cache):
 * 126-129 MiB on that machine, run after run, for about 10 % more CPU per cold call.
 * - `--max-semi-space-size`: the young generation (two semi-spaces) stops growing at
 *   2 x 8 MiB. A call allocates about 2 MiB, so few calls see a scavenge promote their
 *   temporaries; 1-4 MiB semi-spaces saved 10-15 MiB more but cost 20-40 % more CPU
 *   per call than no flags.
 * - `--heap-growing-percent`: old space may grow 30 % past what it held live before V8
 *   collects it again (the growth `--max-old-space-size=320` also allows), without
 *   capping the heap: the operator's `--max-old-space-size` in NODE_OPTIONS sets that.
 * A flag already given on the command line or in NODE_OPTIONS wins.
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=30'];

/** Set in the re-run process (to the flags it added), so it never re-runs again. */
const RERUN_MARKER = 'FUNCTION_PLATFORM_V8_FLAGS';

const flagName = (arg: string): string => (arg.split('=')[0] ?? arg).replace(/_/g, '-');

/** The flags of {@link V8_FLAGS} not given already in `execArgv` or `nodeOptions` (NODE_OPTIONS). */
export function v8FlagsToAdd(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = new Set([...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName));
  return V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/** `process.execve` (Node 22.15 and later); the Node 20 types do not declare it. */
type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

/**
 * V8 flags can only be given when Node starts, so when one of {@link V8_FLAGS} is
 * missing the process replaces itself with `process.execve` (same PID, nothing left
 * behind) running the same script and arguments with the flags added. Node without
 * execve (20, on development machines) serves without them: there the benches give
 * them on the command line (startServerProcess), and `npm start`, tests and
 * `npm run render` do not need them.
 */
function rerunWithV8Flags(): void {
  const execve = (process as { execve?: Execve }).execve;
  if (typeof execve !== 'function' || process.env[RERUN_MARKER] !== undefined) return;
  const missing = v8FlagsToAdd(process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length === 0) return;
  try {
    execve.call(process, process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], {
      ...process.env,
      [RERUN_MARKER]: missing.join(' '),
    });
  } catch (error) {
    // Memory tuning is not worth refusing to serve for.
    process.stderr.write(`function-platform: warning: cannot re-run with ${missing.join(' ')} (${String(error)}); serving without them\n`);
  }
}

/** Whether this module is the program Node was started with (not imported by a script). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

const usage = (defaultTlsServerCertsDir: string): string => `Usage: function-platform [flags]

The Catalyst Forge composition function (Crossplane RunFunction over gRPC).

Flags:
  --address <host:port>            Listen address. Default 0.0.0.0:9443.
  --insecure                       Serve without TLS (local development only).
  --tls-server-certs-dir <dir>     Directory with tls.key, tls.crt, ca.crt (mTLS, client
                                   certificate required). Default $TLS_SERVER_CERTS_DIR or
                                   ${defaultTlsServerCertsDir}.
  --max-recv-message-size <size>   Largest request accepted, in bytes or with KiB/MiB.
                                   Default 16MiB.
  --response-cache-size <size>     Byte budget of the cache of encoded responses by request
                                   hash (identical requests are answered without composing
                                   again), in bytes or with KiB/MiB; 0 disables it.
                                   Default 16MiB.
  --ttl <duration>                 How long Crossplane may cache a response (e.g. 60s, 5m).
                                   Default 60s.
  --grace-period <duration>        Shutdown wait for calls in flight. Default 10s.
  --metrics-address <host:port>    Prometheus endpoint (GET /metrics). Default 0.0.0.0:8080;
                                   --metrics-address="" serves none.
  --health-address <host:port>     Plaintext gRPC server answering only grpc.health.v1.Health,
                                   for kubelet gRPC probes. Default 0.0.0.0:8081;
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
  const [{ DEFAULT_MAX_RECV_MESSAGE_BYTES, DEFAULT_TLS_SERVER_CERTS_DIR, StartupError, startFunctionServer }, { DEFAULT_RESPONSE_CACHE_BYTES }, grpc, { pino }] =
    await Promise.all([import('./server.js'), import('./response-cache.js'), import('@grpc/grpc-js'), import('pino')]);
  const USAGE = usage(DEFAULT_TLS_SERVER_CERTS_DIR);
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: false,
      options: {
        address: { type: 'string', default: '0.0.0.0:9443' },
        insecure: { type: 'boolean', default: false },
        'tls-server-certs-dir': { type: 'string' },
        'max-recv-message-size': { type: 'string' },
        'response-cache-size': { type: 'string' },
        ttl: { type: 'string', default: '60s' },
        'grace-period': { type: 'string', default: '10s' },
        'metrics-address': { type: 'string', default: '0.0.0.0:8080' },
        'health-address': { type: 'string', default: '0.0.0.0:8081' },
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
  let responseCacheBytes: number;
  try {
    ttlSeconds = parseDurationSeconds(values.ttl);
    shutdownGraceMs = parseDurationSeconds(values['grace-period']) * 1000;
    maxRecvMessageBytes =
      values['max-recv-message-size'] === undefined ? DEFAULT_MAX_RECV_MESSAGE_BYTES : parseBytes(values['max-recv-message-size']);
    const cacheSize = values['response-cache-size'];
    // 0 is below parseBytes' 1KiB floor on purpose: it means "no cache", not a tiny one.
    responseCacheBytes = cacheSize === undefined ? DEFAULT_RESPONSE_CACHE_BYTES : cacheSize === '0' ? 0 : parseBytes(cacheSize);
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
      responseCacheBytes,
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

if (isEntryPoint()) {
  rerunWithV8Flags();
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
}
