/**
 * npm run bench [-- --iterations 300 --concurrency 16 --out .bench/results.json]
 *
 * For every example under examples/ (every kind and Environment size), first
 * reconcile and, for Environment, Hub and Database, the fully created XR:
 * - compose: runFunction in-process on the decoded request;
 * - serve: request bytes to response bytes in-process with the SDK's codecs (the
 *   server's whole work per call, without gRPC);
 * - gRPC: sequential RunFunction calls over loopback to the bundled function in
 *   its own process (as the image runs it), and its RSS after all the load.
 * Every call composes: the function keeps nothing between calls. Prints a table,
 * checks the targets, writes JSON. Never fails on a missed target (timings are
 * not tests); exit 1 only if something breaks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { bundleFunction } from './lib/bundle.js';
import { parseCommand, positiveInteger } from './lib/cli.js';
import { allBenchCases } from './lib/bench-cases.js';
import { latency, RawClient, startServerProcess, stats, throughput, timeSync, type Stats } from './lib/bench.js';
import { REPO_ROOT } from './lib/validation.js';

const COMMAND = {
  name: 'bench',
  usage: `Usage: npm run bench [-- flags]

Times every example (compose in-process, serve in-process, gRPC to the bundled
function in its own process), prints a table, checks the targets and writes
JSON. Never fails on a missed target; exit 1 only if something breaks.

Flags:
  --iterations <n>    Calls per example and measure. Default 300.
  --concurrency <n>   Calls in flight for the throughput measure. Default 16.
  --out <file>        JSON results. Default .bench/results.json.
  -h, --help          Show this help.
`,
};
const { values } = parseCommand({
  ...COMMAND,
  options: {
    iterations: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
    out: { type: 'string', default: join(REPO_ROOT, '.bench', 'results.json') },
  },
});
const ITERATIONS = positiveInteger(COMMAND, 'iterations', values.iterations);
const CONCURRENCY = positiveInteger(COMMAND, 'concurrency', values.concurrency);

const TARGETS = { prodEnvironmentComposeMs: 5, rssMiB: 150, startupMs: 1000 };

interface Row {
  example: string;
  kind: string;
  resources: number;
  requestKiB: number;
  responseKiB: number;
  composeMs: Stats;
  serveMs: Stats;
  grpcMs: Stats;
  callsPerSecond: number;
}

const serve = (body: Buffer) => Buffer.from(RunFunctionResponse.encode(runFunction(RunFunctionRequest.decode(body), { ttlSeconds: 60 }).response).finish());
const ms = (s: Stats) => `${s.median.toFixed(3)} / ${s.p99.toFixed(3)}`;

function table(rows: readonly Row[]): string {
  const header = ['example', 'kind', 'res', 'req KiB', 'resp KiB', 'compose med/p99 ms', 'serve med/p99 ms', 'gRPC med/p99 ms', `calls/s (${CONCURRENCY} in flight)`];
  const lines = rows.map((r) => [r.example, r.kind, String(r.resources), r.requestKiB.toFixed(1), r.responseKiB.toFixed(1), ms(r.composeMs), ms(r.serveMs), ms(r.grpcMs), r.callsPerSecond.toFixed(0)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const cases = allBenchCases();
  process.stderr.write(`bench: ${cases.length} cases, ${ITERATIONS} calls each\n`);
  const bundle = await bundleFunction();
  const args = [bundle.path, '--insecure', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--health-address='];

  const startupSamples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = await startServerProcess(process.execPath, args);
    startupSamples.push(started.startupMs);
    await started.stop();
  }
  const startup = stats(startupSamples);

  const server = await startServerProcess(process.execPath, args);
  const client = new RawClient(`127.0.0.1:${server.port}`);
  const idle = server.rss();
  const rows: Row[] = [];
  try {
    for (const c of cases) {
      // The served answer is what an in-process run answers; else the numbers mean nothing.
      if (!(await client.call(c.requestBytes)).equals(serve(c.requestBytes))) throw new Error(`${c.file}: gRPC answered other bytes than an in-process run`);
      const example = `${relative('examples', c.file)}${c.state === 'created' ? ' (created)' : ''}`;
      const composeMs = timeSync(() => runFunction(c.request, { ttlSeconds: 60 }), ITERATIONS, 30);
      const serveMs = timeSync(() => serve(c.requestBytes), ITERATIONS, 30);
      const grpcMs = await latency(client, c.requestBytes, ITERATIONS, 30);
      const callsPerSecond = await throughput(client, [c.requestBytes], Math.max(200, ITERATIONS), CONCURRENCY);
      const kind = c.environment !== undefined ? `${c.kind} (${c.environment})` : c.kind;
      rows.push({ example, kind, resources: c.resources, requestKiB: c.requestBytes.length / 1024, responseKiB: c.responseBytes.length / 1024, composeMs, serveMs, grpcMs, callsPerSecond });
      process.stderr.write(`  ${example}: compose ${composeMs.median.toFixed(3)} ms, serve ${serveMs.median.toFixed(3)} ms, gRPC ${grpcMs.median.toFixed(3)} ms\n`);
    }
  } finally {
    client.close();
  }
  const memory = server.rss();
  await server.stop();

  const prod = rows.filter((r) => r.kind === 'Environment (prod)');
  const checks = [
    {
      target: `prod Environment compose median < ${TARGETS.prodEnvironmentComposeMs} ms`,
      measured: prod.map((r) => `${r.example}: ${r.composeMs.median.toFixed(3)} ms`).join('; ') || 'no prod Environment example',
      met: prod.length > 0 && prod.every((r) => r.composeMs.median < TARGETS.prodEnvironmentComposeMs),
    },
    {
      target: `RSS < ${TARGETS.rssMiB} MiB`,
      measured: `idle ${idle.rssMiB.toFixed(1)} MiB, after the load ${memory.rssMiB.toFixed(1)} MiB, peak ${memory.peakMiB.toFixed(1)} MiB`,
      met: memory.peakMiB < TARGETS.rssMiB,
    },
    {
      target: `serving within ${TARGETS.startupMs} ms of start`,
      measured: `median ${startup.median.toFixed(0)} ms, max ${startup.p99.toFixed(0)} ms`,
      met: startup.p99 < TARGETS.startupMs,
    },
  ];
  process.stdout.write(`${table(rows)}\n\n`);
  for (const c of checks) process.stdout.write(`${c.met ? 'met   ' : 'MISSED'}  ${c.target}: ${c.measured}\n`);

  const results = {
    when: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10 },
    settings: { iterations: ITERATIONS, concurrency: CONCURRENCY, server: relative(REPO_ROOT, bundle.path) },
    startupMs: startup,
    memory: { idleMiB: idle.rssMiB, afterLoadMiB: memory.rssMiB, peakMiB: memory.peakMiB },
    targets: checks,
    rows,
  };
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote ${relative(process.cwd(), values.out)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
