/**
 * npm run bench [-- --iterations 200 --concurrency 32 --out .bench/results.json]
 *
 * For every example under examples/ (so every kind, and every Environment
 * size): compose time in-process, RunFunction over real gRPC against the
 * bundled function in its own process (median, p99, throughput under
 * concurrency), the function's RSS, start-up time until it logs "serving
 * RunFunction", and response size; and, in the same run, the floor: a bare
 * gRPC server returning the same response bytes for the same request bytes.
 *
 * gRPC is measured on two paths, each against its own function process (so
 * each has its own RSS peak):
 * - warm: the same request bytes every call, as Crossplane re-sends them every
 *   reconcile while nothing changed; after the first call the function's
 *   response cache answers without decoding or composing.
 * - cold: a different request every call (its own meta.tag), so every call
 *   misses the cache and is decoded, composed and encoded.
 * - cold without cache: the cold path against a third process started with
 *   --response-cache-size 0: what a miss costs over no cache at all (hashing,
 *   storing), and how much of the cold path's RSS is the cache.
 * Prints a table, checks the targets on both paths, writes JSON. Never fails on
 * a missed target (timings are not tests); exit 1 only if something breaks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { decodeRunFunctionRequest, encodeRunFunctionResponse } from '../functions/platform/src/codec/index.js';
import { runFunction } from '../functions/platform/src/run-function.js';
import { DEFAULT_RESPONSE_CACHE_BYTES } from '../functions/platform/src/response-cache.js';
import { clearParseMemo } from '../functions/platform/src/schema/parse-memo.js';
import { bundleFunction } from './lib/bundle.js';
import { allBenchCases } from './lib/bench-cases.js';
import { latency, RawClient, startServerProcess, stats, throughput, timeSync, type ServerProcess, type Stats } from './lib/bench.js';
import { REPO_ROOT } from './lib/validation.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '32' },
    out: { type: 'string', default: join(REPO_ROOT, '.bench', 'results.json') },
  },
});
const ITERATIONS = Number(values.iterations);
const CONCURRENCY = Number(values.concurrency);

/** The targets of issue 7. */
const TARGETS = {
  grpcOverEchoMedian: 1.5,
  composeMedianMs: 5,
  rssMiB: 150,
  startupMs: 1000,
  prodEnvironmentResponseBytes: 1 << 20,
};

interface Row {
  file: string;
  /** The first reconcile (nothing exists yet) or one of the fully created XR. */
  state: 'new' | 'created';
  kind: string;
  environment?: string;
  resources: number;
  requestBytes: number;
  responseBytes: number;
  composeMs: Stats;
  /** The same with nothing memoized: a spec or EnvironmentConfig this process has not parsed before. */
  composeNewSpecMs: Stats;
  /** Decode the request, compose, encode the response: the server's own work per call, without gRPC. */
  serverWorkMs: Stats;
  /** Decode the request and encode the response, no compose: the server's codec (functions/platform/src/codec). */
  codecMs: Stats;
  /** The same with the SDK's ts-proto codecs, which the server used before: the reference. */
  sdkCodecMs: Stats;
  /** Identical requests: cache hits after the first. */
  warmMs: Stats;
  /** A different request every call: every call composes. */
  coldMs: Stats;
  echoMs: Stats;
  /** The cold path against a function with the cache disabled. */
  coldNoCacheMs: Stats;
  warmOverEcho: number;
  coldOverEcho: number;
  warmPerSecond: number;
  coldPerSecond: number;
  echoPerSecond: number;
  /** RSS of the warm path's function process after this example's load. */
  warmRssMiB: number;
  /** RSS of the cold path's function process after this example's load. */
  coldRssMiB: number;
  /** RSS of the cache-disabled function process after this example's load. */
  coldNoCacheRssMiB: number;
}

/**
 * The cold path's requests: the example's request with a tag of its own per call
 * (Crossplane's meta.tag, which the response echoes), so no two share cache key.
 * The echo floor keeps answering the example's bytes: a few bytes shorter, the same work.
 */
function coldBodies(request: RunFunctionRequest, count: number): Buffer[] {
  const tag = request.meta?.tag ?? '';
  return Array.from({ length: count }, (_, i) => Buffer.from(RunFunctionRequest.encode({ ...request, meta: { capabilities: request.meta?.capabilities ?? [], tag: `${tag}-cold-${i}` } }).finish()));
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const node = process.execPath;

async function startups(command: string, args: string[], times: number): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const server = await startServerProcess(command, args);
    samples.push(server.startupMs);
    await server.stop();
  }
  return stats(samples);
}

function table(rows: Row[]): string {
  const header = ['example', 'kind', 'res', 'req KiB', 'resp KiB', 'compose med/p99 ms', 'compose new spec ms', 'codec ms (SDK ms)', 'decode+compose+encode ms', 'warm med/p99 ms', 'cold med/p99 ms', 'cold no-cache med ms', 'echo med/p99 ms', 'warm/echo', 'cold/echo', 'warm req/s', 'cold req/s', 'echo req/s', 'RSS warm/cold/no-cache MiB'];
  const lines = rows.map((r) => [
    relative('examples', r.file),
    [r.kind, [r.environment, r.state === 'created' ? 'created' : undefined].filter(Boolean).join(', ')].filter(Boolean).join(' ').replace(/ (.+)$/, ' ($1)'),
    String(r.resources),
    (r.requestBytes / 1024).toFixed(1),
    (r.responseBytes / 1024).toFixed(1),
    `${r.composeMs.median.toFixed(3)} / ${r.composeMs.p99.toFixed(3)}`,
    r.composeNewSpecMs.median.toFixed(3),
    `${r.codecMs.median.toFixed(3)} (${r.sdkCodecMs.median.toFixed(3)})`,
    r.serverWorkMs.median.toFixed(3),
    `${r.warmMs.median.toFixed(3)} / ${r.warmMs.p99.toFixed(3)}`,
    `${r.coldMs.median.toFixed(3)} / ${r.coldMs.p99.toFixed(3)}`,
    r.coldNoCacheMs.median.toFixed(3),
    `${r.echoMs.median.toFixed(3)} / ${r.echoMs.p99.toFixed(3)}`,
    r.warmOverEcho.toFixed(2),
    r.coldOverEcho.toFixed(2),
    r.warmPerSecond.toFixed(0),
    r.coldPerSecond.toFixed(0),
    r.echoPerSecond.toFixed(0),
    `${r.warmRssMiB.toFixed(1)} / ${r.coldRssMiB.toFixed(1)} / ${r.coldNoCacheRssMiB.toFixed(1)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const cases = allBenchCases();
  process.stderr.write(`bench: ${cases.length} examples, ${ITERATIONS} sequential calls each, ${CONCURRENCY} in flight for throughput\n`);
  const bundle = await bundleFunction();
  const functionArgs = ['--insecure', '--address', '127.0.0.1:0'];
  const bundled = [bundle.path, ...functionArgs];
  const viaTsx = ['--import', 'tsx', join(REPO_ROOT, 'functions/platform/src/main.ts'), ...functionArgs];

  const startupBundle = await startups(node, bundled, 5);
  const startupTsx = await startups(node, viaTsx, 3);

  let warm: ServerProcess | undefined;
  let cold: ServerProcess | undefined;
  let noCache: ServerProcess | undefined;
  let echo: ServerProcess | undefined;
  const rows: Row[] = [];
  try {
    // Two function processes with the default cache, one per path, so each path's RSS peak is its own.
    warm = await startServerProcess(node, bundled);
    cold = await startServerProcess(node, bundled);
    noCache = await startServerProcess(node, [...bundled, '--response-cache-size', '0']);
    echo = await startServerProcess(node, ['--import', 'tsx', join(REPO_ROOT, 'scripts/lib/bench-echo.ts')]);
    const idleRss = warm.rss().rssMiB;
    const idleColdRss = cold.rss().rssMiB;
    const idleNoCacheRss = noCache.rss().rssMiB;
    const warmClient = new RawClient(`127.0.0.1:${warm.port}`);
    const coldClient = new RawClient(`127.0.0.1:${cold.port}`);
    const noCacheClient = new RawClient(`127.0.0.1:${noCache.port}`);
    const echoClient = new RawClient(`127.0.0.1:${echo.port}`);
    try {
      for (const [index, c] of cases.entries()) {
        // The function over gRPC answers exactly what it answers in-process (else the numbers mean nothing),
        // composed (first call) and cached (second).
        for (let i = 0; i < 2; i++) {
          const answer = await warmClient.call(c.requestBytes, index);
          if (!answer.equals(c.responseBytes)) throw new Error(`${c.file}: the function over gRPC answered other bytes than in-process (call ${i + 1})`);
        }
        const total = Math.max(200, ITERATIONS * 3);
        // Latency's warm-up and samples, then throughput's calls: none repeats a request.
        const coldRequests = coldBodies(c.request, 30 + ITERATIONS + total);
        const coldFirst = coldRequests[0] as Buffer;
        const coldExpected = encodeRunFunctionResponse(runFunction(decodeRunFunctionRequest(coldFirst), { ttlSeconds: 60 }).response);
        if (!(await coldClient.call(coldFirst, index)).equals(coldExpected)) throw new Error(`${c.file}: the function over gRPC answered a cold request with other bytes than in-process`);
        const echoed = await echoClient.call(c.requestBytes, index);
        if (!echoed.equals(c.responseBytes)) throw new Error(`${c.file}: the echo server answered other bytes`);

        const composeMs = timeSync(() => runFunction(c.request, { ttlSeconds: 60 }), ITERATIONS, 30);
        const composeNewSpecMs = timeSync(
          () => {
            clearParseMemo();
            runFunction(c.request, { ttlSeconds: 60 });
          },
          ITERATIONS,
          30,
        );
        const serverWorkMs = timeSync(() => encodeRunFunctionResponse(runFunction(decodeRunFunctionRequest(c.requestBytes), { ttlSeconds: 60 }).response), ITERATIONS, 30);
        const response = runFunction(c.request, { ttlSeconds: 60 }).response;
        // Interleaved, so load from elsewhere on the machine hits both codecs alike.
        const codecSamples: number[] = [];
        const sdkCodecSamples: number[] = [];
        for (let i = 0; i < ITERATIONS + 30; i++) {
          let start = performance.now();
          decodeRunFunctionRequest(c.requestBytes);
          encodeRunFunctionResponse(response);
          if (i >= 30) codecSamples.push(performance.now() - start);
          start = performance.now();
          RunFunctionRequest.decode(c.requestBytes);
          RunFunctionResponse.encode(response).finish();
          if (i >= 30) sdkCodecSamples.push(performance.now() - start);
        }
        const codecMs = stats(codecSamples);
        const sdkCodecMs = stats(sdkCodecSamples);
        // Interleave function and echo runs so drift (thermal, GC elsewhere) hits all alike.
        // Cold calls start at 1: coldFirst was the check above, and is cached now.
        const warmMs = await latency(warmClient, c.requestBytes, index, ITERATIONS, 30);
        const coldMs = await latency(coldClient, (call) => coldRequests[1 + call] as Buffer, index, ITERATIONS, 29);
        const coldNoCacheMs = await latency(noCacheClient, (call) => coldRequests[1 + call] as Buffer, index, ITERATIONS, 29);
        const echoMs = await latency(echoClient, c.requestBytes, index, ITERATIONS, 30);
        const warmPerSecond = await throughput(warmClient, c.requestBytes, index, total, CONCURRENCY);
        const coldPerSecond = await throughput(coldClient, (call) => coldRequests[30 + ITERATIONS + call] as Buffer, index, total, CONCURRENCY);
        // Only for its RSS peak: the same cold load on the process without a cache.
        await throughput(noCacheClient, (call) => coldRequests[30 + ITERATIONS + call] as Buffer, index, total, CONCURRENCY);
        const echoPerSecond = await throughput(echoClient, c.requestBytes, index, total, CONCURRENCY);
        const row: Row = {
          file: c.file,
          state: c.state,
          kind: c.kind,
          ...(c.environment !== undefined ? { environment: c.environment } : {}),
          resources: c.resources,
          requestBytes: c.requestBytes.length,
          responseBytes: c.responseBytes.length,
          composeMs,
          composeNewSpecMs,
          serverWorkMs,
          codecMs,
          sdkCodecMs,
          warmMs,
          coldMs,
          coldNoCacheMs,
          echoMs,
          warmOverEcho: warmMs.median / echoMs.median,
          coldOverEcho: coldMs.median / echoMs.median,
          warmPerSecond,
          coldPerSecond,
          echoPerSecond,
          warmRssMiB: warm.rss().rssMiB,
          coldRssMiB: cold.rss().rssMiB,
          coldNoCacheRssMiB: noCache.rss().rssMiB,
        };
        rows.push(row);
        process.stderr.write(
          `  ${c.file}: compose ${composeMs.median.toFixed(3)} ms, codec ${codecMs.median.toFixed(3)} ms (SDK ${sdkCodecMs.median.toFixed(3)} ms), gRPC warm ${warmMs.median.toFixed(3)} ms, cold ${coldMs.median.toFixed(3)} ms (no cache ${coldNoCacheMs.median.toFixed(3)} ms) (echo ${echoMs.median.toFixed(3)} ms)\n`,
        );
      }
    } finally {
      warmClient.close();
      coldClient.close();
      noCacheClient.close();
      echoClient.close();
    }
    const warmMemory = warm.rss();
    const coldMemory = cold.rss();
    const noCacheMemory = noCache.rss();

    const prod = rows.filter((r) => r.kind === 'Environment' && r.environment === 'prod');
    const overEcho = (path: 'warm' | 'cold') => {
      const ratio = (r: Row) => (path === 'warm' ? r.warmOverEcho : r.coldOverEcho);
      const ms = (r: Row) => (path === 'warm' ? r.warmMs : r.coldMs);
      return {
        target: `${path} path: gRPC median of a prod Environment <= ${TARGETS.grpcOverEchoMedian}x the echo floor`,
        measured: prod.map((r) => `${relative('examples', r.file)}: ${ratio(r).toFixed(2)}x (${ms(r).median.toFixed(3)} vs ${r.echoMs.median.toFixed(3)} ms)`).join('; ') || 'no prod Environment example',
        met: prod.length > 0 && prod.every((r) => ratio(r) <= TARGETS.grpcOverEchoMedian),
      };
    };
    const rss = (path: 'warm' | 'cold', idle: number, memory: { rssMiB: number; peakMiB: number }) => ({
      target: `${path} path: RSS < ${TARGETS.rssMiB} MiB`,
      measured: `idle ${idle.toFixed(1)} MiB, after load ${memory.rssMiB.toFixed(1)} MiB, peak ${memory.peakMiB.toFixed(1)} MiB`,
      met: memory.peakMiB < TARGETS.rssMiB,
    });
    const checks = [
      overEcho('warm'),
      overEcho('cold'),
      {
        target: `compose median < ${TARGETS.composeMedianMs} ms (every example)`,
        measured: `max ${Math.max(...rows.map((r) => r.composeMs.median)).toFixed(3)} ms; with a new spec and config ${Math.max(...rows.map((r) => r.composeNewSpecMs.median)).toFixed(3)} ms`,
        met: rows.every((r) => r.composeMs.median < TARGETS.composeMedianMs && r.composeNewSpecMs.median < TARGETS.composeMedianMs),
      },
      rss('warm', idleRss, warmMemory),
      rss('cold', idleColdRss, coldMemory),
      {
        target: `serving within ${TARGETS.startupMs} ms of start`,
        measured: `bundle median ${startupBundle.median.toFixed(0)} ms (max ${startupBundle.p99.toFixed(0)}); tsx median ${startupTsx.median.toFixed(0)} ms`,
        met: startupBundle.p99 < TARGETS.startupMs,
      },
      {
        target: `prod Environment response < 1 MiB`,
        measured: prod.map((r) => `${relative('examples', r.file)}: ${(r.responseBytes / 1024).toFixed(1)} KiB`).join('; ') || 'no prod Environment example',
        met: prod.length > 0 && prod.every((r) => r.responseBytes < TARGETS.prodEnvironmentResponseBytes),
      },
    ];

    process.stdout.write(`${table(rows)}\n\n`);
    for (const c of checks) process.stdout.write(`${c.met ? 'met   ' : 'MISSED'}  ${c.target}: ${c.measured}\n`);
    // Not a target: how much of the cold path's memory is the cache.
    process.stdout.write(`info    cold path without cache: RSS idle ${idleNoCacheRss.toFixed(1)} MiB, after load ${noCacheMemory.rssMiB.toFixed(1)} MiB, peak ${noCacheMemory.peakMiB.toFixed(1)} MiB\n`);

    const results = {
      when: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1) },
      settings: { iterations: ITERATIONS, concurrency: CONCURRENCY, server: relative(REPO_ROOT, bundle.path), responseCacheBytes: DEFAULT_RESPONSE_CACHE_BYTES },
      startupMs: { bundle: startupBundle, tsx: startupTsx },
      memory: {
        warm: { idleMiB: idleRss, afterLoadMiB: warmMemory.rssMiB, peakMiB: warmMemory.peakMiB },
        cold: { idleMiB: idleColdRss, afterLoadMiB: coldMemory.rssMiB, peakMiB: coldMemory.peakMiB },
        coldWithoutCache: { idleMiB: idleNoCacheRss, afterLoadMiB: noCacheMemory.rssMiB, peakMiB: noCacheMemory.peakMiB },
      },
      targets: checks,
      rows,
    };
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nwrote ${relative(process.cwd(), values.out)}\n`);
  } finally {
    await warm?.stop();
    await cold?.stop();
    await noCache?.stop();
    await echo?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
