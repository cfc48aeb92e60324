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
 * Requests are sent as Crossplane sends them (scripts/lib/crossplane-wire.ts:
 * maps in random order, content tags), on three paths, each against its own
 * function process (so each has its own RSS peak):
 * - warm: nothing changed, so the same content every call in another map
 *   order; after the first call the response cache answers by the tag.
 * - changed: every call new content in what no composer reads, as between most
 *   reconciles (scripts/lib/changed-requests.ts); the function answers from the
 *   XR's last render (incremental.ts).
 * - full: the changed requests against a process with the response cache and
 *   the render memo off (--response-cache-size 0 --render-memo-size 0): every
 *   call decodes, composes and encodes, as for a new spec or EnvironmentConfig.
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
import { DEFAULT_RENDER_MEMO_BYTES, IncrementalRenderer } from '../functions/platform/src/incremental.js';
import { runFunction } from '../functions/platform/src/run-function.js';
import { DEFAULT_RESPONSE_CACHE_BYTES } from '../functions/platform/src/response-cache.js';
import { clearParseMemo } from '../functions/platform/src/schema/parse-memo.js';
import { bundleFunction } from './lib/bundle.js';
import { allBenchCases } from './lib/bench-cases.js';
import { ChangedRequests, sameContentBodies } from './lib/changed-requests.js';
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
  /** The server's own work in-process for a changed request: IncrementalRenderer.render, request bytes to response bytes. */
  incrementalMs: Stats;
  /** The same content every call, maps in another order: answered from the response cache by the tag. */
  warmMs: Stats;
  /** New content every call where no composer reads: answered from the XR's last render. */
  changedMs: Stats;
  /** The changed requests with the response cache and render memo off: every call composes. */
  fullMs: Stats;
  echoMs: Stats;
  warmOverEcho: number;
  changedOverEcho: number;
  fullOverEcho: number;
  warmPerSecond: number;
  changedPerSecond: number;
  echoPerSecond: number;
  /** RSS of each path's function process after this example's load. */
  warmRssMiB: number;
  changedRssMiB: number;
  fullRssMiB: number;
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
  const header = ['example', 'kind', 'res', 'req KiB', 'resp KiB', 'compose med/p99 ms', 'compose new spec ms', 'codec ms (SDK ms)', 'decode+compose+encode ms', 'incremental ms', 'warm med/p99 ms', 'changed med/p99 ms', 'full med/p99 ms', 'echo med/p99 ms', 'warm/echo', 'changed/echo', 'full/echo', 'req/s warm/changed/echo', 'RSS warm/changed/full MiB'];
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
    r.incrementalMs.median.toFixed(3),
    `${r.warmMs.median.toFixed(3)} / ${r.warmMs.p99.toFixed(3)}`,
    `${r.changedMs.median.toFixed(3)} / ${r.changedMs.p99.toFixed(3)}`,
    `${r.fullMs.median.toFixed(3)} / ${r.fullMs.p99.toFixed(3)}`,
    `${r.echoMs.median.toFixed(3)} / ${r.echoMs.p99.toFixed(3)}`,
    r.warmOverEcho.toFixed(2),
    r.changedOverEcho.toFixed(2),
    r.fullOverEcho.toFixed(2),
    `${r.warmPerSecond.toFixed(0)} / ${r.changedPerSecond.toFixed(0)} / ${r.echoPerSecond.toFixed(0)}`,
    `${r.warmRssMiB.toFixed(1)} / ${r.changedRssMiB.toFixed(1)} / ${r.fullRssMiB.toFixed(1)}`,
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
  let changed: ServerProcess | undefined;
  let full: ServerProcess | undefined;
  let echo: ServerProcess | undefined;
  const rows: Row[] = [];
  try {
    // One function process per path, so each path's RSS peak is its own.
    warm = await startServerProcess(node, bundled);
    changed = await startServerProcess(node, bundled);
    full = await startServerProcess(node, [...bundled, '--response-cache-size', '0', '--render-memo-size', '0']);
    echo = await startServerProcess(node, ['--import', 'tsx', join(REPO_ROOT, 'scripts/lib/bench-echo.ts')]);
    const idleRss = warm.rss().rssMiB;
    const idleChangedRss = changed.rss().rssMiB;
    const idleFullRss = full.rss().rssMiB;
    const warmClient = new RawClient(`127.0.0.1:${warm.port}`);
    const changedClient = new RawClient(`127.0.0.1:${changed.port}`);
    const fullClient = new RawClient(`127.0.0.1:${full.port}`);
    const echoClient = new RawClient(`127.0.0.1:${echo.port}`);
    const fullAnswer = (body: Buffer) => encodeRunFunctionResponse(runFunction(decodeRunFunctionRequest(body), { ttlSeconds: 60 }).response);
    try {
      for (const [index, c] of cases.entries()) {
        const sameContent = sameContentBodies(c.request);
        const changes = new ChangedRequests(c.request, `${index}`);
        // Each path answers over gRPC exactly what a full render answers in-process (else the numbers
        // mean nothing): warm composed (first call) and cached (second); changed composed, then reused.
        for (let i = 0; i < 2; i++) {
          if (!(await warmClient.call(sameContent(i), index)).equals(fullAnswer(sameContent(i)))) throw new Error(`${c.file}: warm call ${i + 1} answered other bytes than a full render`);
          if (!(await changedClient.call(changes.body(i), index)).equals(fullAnswer(changes.body(i)))) throw new Error(`${c.file}: changed call ${i + 1} answered other bytes than a full render`);
        }
        if (!(await fullClient.call(changes.body(2), index)).equals(fullAnswer(changes.body(2)))) throw new Error(`${c.file}: the full path answered other bytes than a full render`);
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
        const serverWorkMs = timeSync(() => fullAnswer(c.requestBytes), ITERATIONS, 30);
        // Bodies made before the clock starts: making one copies the request.
        const renderer = new IncrementalRenderer({ ttlSeconds: 60 });
        const inProcessBodies = Array.from({ length: ITERATIONS + 30 }, (_, i) => changes.body(10_000_000 - 1 - i));
        let inProcessCall = 0;
        const incrementalMs = timeSync(() => renderer.render(inProcessBodies[inProcessCall++ % inProcessBodies.length] as Buffer), ITERATIONS, 30);
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
        const total = Math.max(200, ITERATIONS * 3);
        // Changed calls are numbered on from 3 (the checks above) and never repeat: latency's
        // warm-up and samples, then throughput's calls.
        const changedBody = (from: number) => (call: number) => changes.body(from + call);
        const latencyFrom = 3;
        const throughputFrom = latencyFrom + 30 + ITERATIONS;
        const [warmMs, changedMs, fullMs, echoMs] = (await latency(
          [
            { client: warmClient, body: sameContent },
            { client: changedClient, body: changedBody(latencyFrom) },
            { client: fullClient, body: changedBody(latencyFrom) },
            { client: echoClient, body: sameContent },
          ],
          index,
          ITERATIONS,
          30,
        )) as [Stats, Stats, Stats, Stats];
        const warmPerSecond = await throughput(warmClient, sameContent, index, total, CONCURRENCY);
        const changedPerSecond = await throughput(changedClient, changedBody(throughputFrom), index, total, CONCURRENCY);
        // Only for its RSS peak: the same load on the process that composes every call.
        await throughput(fullClient, changedBody(throughputFrom), index, total, CONCURRENCY);
        const echoPerSecond = await throughput(echoClient, sameContent, index, total, CONCURRENCY);
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
          incrementalMs,
          warmMs,
          changedMs,
          fullMs,
          echoMs,
          warmOverEcho: warmMs.median / echoMs.median,
          changedOverEcho: changedMs.median / echoMs.median,
          fullOverEcho: fullMs.median / echoMs.median,
          warmPerSecond,
          changedPerSecond,
          echoPerSecond,
          warmRssMiB: warm.rss().rssMiB,
          changedRssMiB: changed.rss().rssMiB,
          fullRssMiB: full.rss().rssMiB,
        };
        rows.push(row);
        process.stderr.write(
          `  ${c.file} (${c.state}): compose ${composeMs.median.toFixed(3)} ms, incremental ${incrementalMs.median.toFixed(3)} ms, gRPC warm ${warmMs.median.toFixed(3)} ms, changed ${changedMs.median.toFixed(3)} ms, full ${fullMs.median.toFixed(3)} ms (echo ${echoMs.median.toFixed(3)} ms)\n`,
        );
      }
    } finally {
      warmClient.close();
      changedClient.close();
      fullClient.close();
      echoClient.close();
    }
    const warmMemory = warm.rss();
    const changedMemory = changed.rss();
    const fullMemory = full.rss();

    const prod = rows.filter((r) => r.kind === 'Environment' && r.environment === 'prod');
    type Path = 'warm' | 'changed' | 'full';
    const ratioOf = (r: Row, path: Path) => (path === 'warm' ? r.warmOverEcho : path === 'changed' ? r.changedOverEcho : r.fullOverEcho);
    const msOf = (r: Row, path: Path) => (path === 'warm' ? r.warmMs : path === 'changed' ? r.changedMs : r.fullMs);
    const overEcho = (path: Path) => ({
      target: `${path} path: gRPC median of a prod Environment <= ${TARGETS.grpcOverEchoMedian}x the echo floor`,
      measured: prod.map((r) => `${relative('examples', r.file)} (${r.state}): ${ratioOf(r, path).toFixed(2)}x (${msOf(r, path).median.toFixed(3)} vs ${r.echoMs.median.toFixed(3)} ms)`).join('; ') || 'no prod Environment example',
      met: prod.length > 0 && prod.every((r) => ratioOf(r, path) <= TARGETS.grpcOverEchoMedian),
    });
    const rss = (path: Path, idle: number, memory: { rssMiB: number; peakMiB: number }) => ({
      target: `${path} path: RSS < ${TARGETS.rssMiB} MiB`,
      measured: `idle ${idle.toFixed(1)} MiB, after load ${memory.rssMiB.toFixed(1)} MiB, peak ${memory.peakMiB.toFixed(1)} MiB`,
      met: memory.peakMiB < TARGETS.rssMiB,
    });
    const checks = [
      overEcho('warm'),
      overEcho('changed'),
      {
        target: `compose median < ${TARGETS.composeMedianMs} ms (every example)`,
        measured: `max ${Math.max(...rows.map((r) => r.composeMs.median)).toFixed(3)} ms; with a new spec and config ${Math.max(...rows.map((r) => r.composeNewSpecMs.median)).toFixed(3)} ms`,
        met: rows.every((r) => r.composeMs.median < TARGETS.composeMedianMs && r.composeNewSpecMs.median < TARGETS.composeMedianMs),
      },
      rss('warm', idleRss, warmMemory),
      rss('changed', idleChangedRss, changedMemory),
      rss('full', idleFullRss, fullMemory),
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
    // Not a target: a render from scratch (new spec or EnvironmentConfig, a replica's first call per XR).
    const fullPath = overEcho('full');
    process.stdout.write(`info    ${fullPath.target.replace(' <= ', ' vs ')}: ${fullPath.measured}\n`);

    const results = {
      when: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1) },
      settings: { iterations: ITERATIONS, concurrency: CONCURRENCY, server: relative(REPO_ROOT, bundle.path), responseCacheBytes: DEFAULT_RESPONSE_CACHE_BYTES, renderMemoBytes: DEFAULT_RENDER_MEMO_BYTES },
      startupMs: { bundle: startupBundle, tsx: startupTsx },
      memory: {
        warm: { idleMiB: idleRss, afterLoadMiB: warmMemory.rssMiB, peakMiB: warmMemory.peakMiB },
        changed: { idleMiB: idleChangedRss, afterLoadMiB: changedMemory.rssMiB, peakMiB: changedMemory.peakMiB },
        full: { idleMiB: idleFullRss, afterLoadMiB: fullMemory.rssMiB, peakMiB: fullMemory.peakMiB },
      },
      targets: checks,
      rows,
    };
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nwrote ${relative(process.cwd(), values.out)}\n`);
  } finally {
    await warm?.stop();
    await changed?.stop();
    await full?.stop();
    await echo?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
