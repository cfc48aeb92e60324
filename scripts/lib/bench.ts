import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService, RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { DEFAULT_MAX_RECV_MESSAGE_BYTES } from '../../functions/platform/src/server.js';
import { exampleRenders } from './examples.js';
import { parseManifests } from './schema-validator.js';
import { REPO_ROOT } from './validation.js';
import { composeInProcess } from './in-process.js';

type JsonObject = Record<string, unknown>;

/** One thing to measure: an example's last RunFunction call, as Crossplane would make it. */
export interface BenchCase {
  /** Example file, relative to the repository root. */
  file: string;
  kind: string;
  /** `spec.environment` of an Environment (its size), else undefined. */
  environment?: string;
  request: RunFunctionRequest;
  requestBytes: Buffer;
  responseBytes: Buffer;
  /** Composed resources in the response. */
  resources: number;
}

/**
 * Every example under examples/, its first reconcile's request as Crossplane
 * sends it (with what its Composition fetches up front): the one measured.
 */
export function benchCases(): BenchCase[] {
  const examples = exampleRenders();
  return examples.map((example) => {
    const { request, response } = composeInProcess(example.input.xr, example.input.requiredResources ?? []);
    const spec = (example.input.xr.spec ?? {}) as JsonObject;
    return {
      file: example.file,
      kind: String(example.input.xr.kind),
      ...(typeof spec.environment === 'string' && example.input.xr.kind === 'Environment' ? { environment: spec.environment } : {}),
      request,
      requestBytes: Buffer.from(RunFunctionRequest.encode(request).finish()),
      responseBytes: Buffer.from(RunFunctionResponse.encode(response).finish()),
      resources: Object.keys(response.desired?.resources ?? {}).length,
    };
  });
}

/** Median, p99 and mean of samples in milliseconds. */
export interface Stats {
  median: number;
  p99: number;
  mean: number;
  n: number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { median: at(0.5), p99: at(0.99), mean, n: sorted.length };
}

/** Times `fn` `iterations` times after `warmup` untimed runs; milliseconds per run. */
export function timeSync(fn: () => void, iterations: number, warmup: number): Stats {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

const identity = (b: Buffer) => b;
const METHOD_PATH = FunctionRunnerServiceService.runFunction.path;

/**
 * A client that sends pre-encoded request bytes and takes the response as
 * bytes, so the client's own work stays out of what is measured.
 */
export class RawClient {
  private readonly client: grpc.Client;
  constructor(target: string) {
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
      'grpc.max_send_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
    });
  }

  call(body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(METHOD_PATH, identity, identity, body, new grpc.Metadata(), { deadline: Date.now() + 60_000 }, (error, response) => {
        if (error || response === undefined) reject(error ?? new Error('no response'));
        else resolve(response);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/** Sequential calls with the same request: latency as one reconcile sees it. */
export async function latency(client: RawClient, body: Buffer, iterations: number, warmup: number): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await client.call(body);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await client.call(body);
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

/** `total` calls with `concurrency` in flight, each sending `bodies[i % length]`; calls per second. */
export async function throughput(client: RawClient, bodies: readonly Buffer[], total: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < total) await client.call(bodies[next++ % bodies.length] as Buffer);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / ((performance.now() - start) / 1000);
}

/** Linux clock ticks per second (USER_HZ), which /proc/<pid>/stat counts CPU time in. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * NODE_OPTIONS of the function's container in the example DeploymentRuntimeConfig
 * (examples/deployment/runtime-config.yaml), so the benches measure the heap the
 * pod runs with rather than one V8 sizes from the bench machine's memory.
 */
export function deployedNodeOptions(): string {
  const path = 'examples/deployment/runtime-config.yaml';
  const [runtime] = parseManifests(readFileSync(join(REPO_ROOT, path), 'utf8'), path);
  const spec = (runtime?.spec ?? {}) as { deploymentTemplate?: { spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } } } };
  const containers = spec.deploymentTemplate?.spec?.template?.spec?.containers ?? [];
  return containers.flatMap((c) => c.env ?? []).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}

/** A server child process and the port it serves on. */
export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** Milliseconds from spawn to the "serving" log line. */
  startupMs: number;
  /** Resident set size now, and its peak, in MiB (Linux /proc). */
  rss(): { rssMiB: number; peakMiB: number };
  stop(): Promise<void>;
}

function procStatusMiB(pid: number, field: string): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Spawns a server and waits for its serving log line (`msg` containing
 * `serving`), reading the port from it. Its stdout keeps being drained so
 * per-call log lines never block it. Killed if not serving within `timeoutMs`.
 * Runs with the deployed NODE_OPTIONS ({@link deployedNodeOptions}).
 */
export function startServerProcess(command: string, args: readonly string[], timeoutMs = 30_000): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: deployedNodeOptions() } });
    let buffer = '';
    let stderr = '';
    let serving = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: not serving after ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (serving) return;
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        if (!line.includes('serving')) continue;
        const startupMs = performance.now() - started;
        const port = Number((JSON.parse(line) as { port?: number }).port);
        serving = true;
        buffer = '';
        clearTimeout(timer);
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        resolve({
          child,
          port,
          startupMs,
          rss: () => ({ rssMiB: procStatusMiB(child.pid ?? -1, 'VmRSS'), peakMiB: procStatusMiB(child.pid ?? -1, 'VmHWM') }),
          stop: async () => {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(killer);
          },
        });
        return;
      }
    });
    child.once('exit', (code) => {
      if (!serving) {
        clearTimeout(timer);
        reject(new Error(`${args.join(' ')} exited ${String(code)} before serving: ${stderr}`));
      }
    });
  });
}
