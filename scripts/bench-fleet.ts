/**
 * npm run bench:fleet [-- --environments 20 --projects 1000 --passes 5 --concurrency 10 --out .bench/fleet.json]
 *
 * One function server (the bundle, its own process, logging and metrics on as in
 * production) driven by a fleet the way Crossplane drives it: every XR is
 * reconciled about once a minute (Crossplane's poll interval), one RunFunction
 * call each (the Compositions ask for their EnvironmentConfigs up front), with
 * the XR's composed resources in observed state. Every call composes: the
 * function keeps nothing between calls. Time is compressed: one fleet pass is
 * every XR once, as fast as `--concurrency` calls in flight allow, and the
 * server's CPU time for it (Linux /proc) is the CPU it needs per minute. Also
 * measured per class (Environments alone, project XRs alone) for a per-XR cost,
 * and memory (RSS after the passes and its peak).
 *
 * Timings are not tests: this never fails on a number.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { bundleFunction } from './lib/bundle.js';
import { parseCommand, positiveInteger } from './lib/cli.js';
import { cpuSeconds, RawClient, startServerProcess, stats, type ServerProcess } from './lib/bench.js';
import { exampleRenders, type ExampleRender } from './lib/examples.js';
import { settleInProcess } from './lib/settle.js';
import { REPO_ROOT } from './lib/validation.js';

type JsonObject = Record<string, unknown>;

const COMMAND = {
  name: 'bench:fleet',
  usage: `Usage: npm run bench:fleet [-- flags]

Drives one function server (the bundle, in its own process) with a fleet the
way Crossplane does, one RunFunction call per XR per pass, and reports the CPU
per minute and memory it needs. Never fails on a number.

Flags:
  --environments <n>       Environments in the fleet. Default 20.
  --projects <n>           Project XRs (Network, Storage, Database). Default 1000.
  --passes <n>             Fleet passes to measure. Default 5.
  --concurrency <n>        Calls in flight. Default 10.
  --function-args "<...>"  Extra flags for the function server, space-separated.
  --out <file>             JSON results. Default .bench/fleet.json.
  -h, --help               Show this help.
`,
};
const { values } = parseCommand({
  ...COMMAND,
  options: {
    environments: { type: 'string', default: '20' },
    projects: { type: 'string', default: '1000' },
    passes: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    'function-args': { type: 'string', default: '' },
    out: { type: 'string', default: join(REPO_ROOT, '.bench', 'fleet.json') },
  },
});
const ENVIRONMENTS = positiveInteger(COMMAND, 'environments', values.environments);
const PROJECTS = positiveInteger(COMMAND, 'projects', values.projects, 0);
const PASSES = positiveInteger(COMMAND, 'passes', values.passes);
const CONCURRENCY = positiveInteger(COMMAND, 'concurrency', values.concurrency);

/** One XR of the fleet: the request Crossplane sends for it every reconcile. */
interface FleetXr {
  kind: string;
  body: Buffer;
  responseBytes: number;
}

/** A copy of an example XR with its own name (and namespace for project XRs), as a fleet has. */
function variant(example: ExampleRender, index: number, project: boolean): JsonObject {
  const xr = example.input.xr;
  const metadata = (xr.metadata ?? {}) as { name?: string; namespace?: string };
  const suffix = String(index).padStart(4, '0');
  return {
    ...xr,
    metadata: {
      ...metadata,
      // Project XRs live in one namespace per team; Environments keep their namespace.
      ...(project ? { namespace: `team-${String(Math.floor(index / 5)).padStart(3, '0')}` } : {}),
      name: `${String(metadata.name ?? 'xr').slice(0, 10)}-${suffix}`,
      uid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    },
  };
}

/**
 * The steady-state request for an XR: the reconcile of the fully created XR,
 * everything it composes observed, Ready and reporting its ids
 * (scripts/lib/settle.ts). Real observed resources carry more provider status,
 * so real requests are somewhat larger than these.
 */
function steadyStateRequest(xr: JsonObject, pool: readonly JsonObject[]): FleetXr {
  const steady = settleInProcess(xr, pool);
  return {
    kind: String(xr.kind),
    body: Buffer.from(RunFunctionRequest.encode(steady.request).finish()),
    responseBytes: RunFunctionResponse.encode(steady.response).finish().length,
  };
}

/** The fleet: Environments cycle through the Environment examples, project XRs through the project examples. */
function buildFleet(): { environments: FleetXr[]; projects: FleetXr[]; mix: Record<string, number> } {
  const examples = exampleRenders();
  const envExamples = examples.filter((e) => e.input.xr.kind === 'Environment');
  const projectExamples = examples.filter((e) => ['Network', 'Storage', 'Database'].includes(String(e.input.xr.kind)));
  if (envExamples.length === 0 || ['Network', 'Storage', 'Database'].some((k) => !projectExamples.some((e) => e.input.xr.kind === k))) {
    throw new Error('need Environment, Network, Storage and Database examples under examples/');
  }
  const mix: Record<string, number> = {};
  const environments = Array.from({ length: ENVIRONMENTS }, (_, i) => {
    const example = envExamples[i % envExamples.length] as ExampleRender;
    const key = `Environment ${relative('examples', example.file)}`;
    mix[key] = (mix[key] ?? 0) + 1;
    return steadyStateRequest(variant(example, i, false), example.input.requiredResources ?? []);
  });
  // A third each of Network, Storage and Database, each cycling through its examples.
  const byKind = ['Network', 'Storage', 'Database'].map((kind) => projectExamples.filter((e) => e.input.xr.kind === kind));
  const projects = Array.from({ length: PROJECTS }, (_, i) => {
    const ofKind = byKind[i % byKind.length] ?? [];
    const example = ofKind[Math.floor(i / byKind.length) % ofKind.length] as ExampleRender;
    const key = `${String(example.input.xr.kind)} ${relative('examples', example.file)}`;
    mix[key] = (mix[key] ?? 0) + 1;
    return steadyStateRequest(variant(example, i, true), example.input.requiredResources ?? []);
  });
  return { environments, projects, mix };
}

/** Calls every XR once with `concurrency` in flight; wall seconds and server CPU seconds. */
async function pass(client: RawClient, server: ServerProcess, fleet: readonly FleetXr[]): Promise<{ wallSeconds: number; cpuSeconds: number }> {
  const pid = server.child.pid ?? -1;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < fleet.length) await client.call((fleet[next++] as FleetXr).body);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { wallSeconds: (performance.now() - started) / 1000, cpuSeconds: cpuSeconds(pid) - cpuBefore };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

async function measure(client: RawClient, server: ServerProcess, fleet: readonly FleetXr[]) {
  await pass(client, server, fleet); // warm-up: JIT, connection, allocator
  const runs = [];
  for (let i = 0; i < PASSES; i++) runs.push(await pass(client, server, fleet));
  const cpu = stats(runs.map((r) => r.cpuSeconds));
  const wall = stats(runs.map((r) => r.wallSeconds));
  return {
    xrs: fleet.length,
    cpuSecondsPerPass: { median: round(cpu.median), max: round(cpu.p99) },
    wallSecondsPerPass: { median: round(wall.median), max: round(wall.p99) },
    cpuMillisecondsPerXr: round((cpu.median / fleet.length) * 1000),
    callsPerSecond: round(fleet.length / wall.median, 0),
    requestKiB: round(fleet.reduce((n, x) => n + x.body.length, 0) / fleet.length / 1024, 1),
    responseKiB: round(fleet.reduce((n, x) => n + x.responseBytes, 0) / fleet.length / 1024, 1),
  };
}

async function main(): Promise<void> {
  const builtAt = performance.now();
  const { environments, projects, mix } = buildFleet();
  // Crossplane's reconciles are spread over the minute, not grouped by kind: interleave.
  const fleet: FleetXr[] = [];
  const stride = Math.max(1, Math.floor(projects.length / Math.max(1, environments.length)));
  for (let i = 0, e = 0; i < projects.length || e < environments.length; i++) {
    if (i % stride === 0 && e < environments.length) fleet.push(environments[e++] as FleetXr);
    if (i < projects.length) fleet.push(projects[i] as FleetXr);
  }
  process.stderr.write(`bench:fleet: ${environments.length} Environments + ${projects.length} project XRs built in ${((performance.now() - builtAt) / 1000).toFixed(1)} s; ${PASSES} passes, ${CONCURRENCY} in flight\n`);

  const bundle = await bundleFunction();
  const server = await startServerProcess(process.execPath, [
    bundle.path,
    ...['--insecure', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0', '--health-address='],
    ...values['function-args'].split(' ').filter(Boolean),
  ]);
  const client = new RawClient(`127.0.0.1:${server.port}`);
  try {
    const idle = server.rss();
    const whole = await measure(client, server, fleet);
    // 20 calls are a few CPU ticks (10 ms each): repeat them so the per-call figure is not noise.
    const envOnly = await measure(client, server, Array.from({ length: Math.max(1, Math.ceil(500 / Math.max(1, environments.length))) }, () => environments).flat());
    const projectOnly = await measure(client, server, projects);
    const memory = server.rss();

    // Every XR once a minute: the CPU of one pass is the CPU needed per minute.
    const cpuPerMinute = whole.cpuSecondsPerPass.median;
    const cores = cpuPerMinute / 60;
    const results = {
      when: new Date().toISOString(),
      machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1) },
      settings: { environments: ENVIRONMENTS, projects: PROJECTS, passes: PASSES, concurrency: CONCURRENCY, server: relative(REPO_ROOT, bundle.path) },
      mix,
      fleet: whole,
      environmentsOnly: envOnly,
      projectsOnly: projectOnly,
      perMinute: { cpuSeconds: round(cpuPerMinute), averageCores: round(cores, 4) },
      memory: { idleMiB: round(idle.rssMiB, 1), afterMiB: round(memory.rssMiB, 1), peakMiB: round(memory.peakMiB, 1) },
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `\nfleet of ${whole.xrs} XRs re-rendered every 60 s: ${cpuPerMinute.toFixed(2)} CPU s/min (${(cores * 1000).toFixed(1)} millicores on average); ` +
        `one pass takes ${whole.wallSecondsPerPass.median.toFixed(2)} s wall at ${CONCURRENCY} in flight; ` +
        `Environment ${envOnly.cpuMillisecondsPerXr} CPU ms/call, project XR ${projectOnly.cpuMillisecondsPerXr} CPU ms/call; ` +
        `RSS ${memory.rssMiB.toFixed(0)} MiB (peak ${memory.peakMiB.toFixed(0)} MiB, idle ${idle.rssMiB.toFixed(0)} MiB)\n`,
    );
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`wrote ${relative(process.cwd(), values.out)}\n`);
  } finally {
    client.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:fleet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
