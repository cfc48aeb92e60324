import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { FunctionRunnerServiceService, RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { DEFAULT_MAX_RECV_MESSAGE_BYTES } from '../../functions/platform/src/server.js';
import { V8_FLAGS } from '../../functions/platform/src/v8-flags.js';
import { exampleRenders } from './examples.js';
import { composeInProcess } from './in-process.js';
import { encodeRunFunctionResponse } from '../../functions/platform/src/codec/index.js';

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
 * Every example under examples/, rendered in-process through the
 * requirements loop; the last request (with its EnvironmentConfigs supplied)
 * is the one measured. Same order in the bench and the echo server.
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
      responseBytes: encodeRunFunctionResponse(response),
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
 * bytes: the client does the same (no) work against the function and the
 * echo floor, so the difference is the server's.
 */
export class RawClient {
  private readonly client: grpc.Client;
  constructor(target: string) {
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
      'grpc.max_send_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
    });
  }

  call(body: Buffer, benchCase: number): Promise<Buffer> {
    const metadata = new grpc.Metadata();
    metadata.set('bench-case', String(benchCase));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(METHOD_PATH, identity, identity, body, metadata, { deadline: Date.now() + 60_000 }, (error, response) => {
        if (error || response === undefined) reject(error ?? new Error('no response'));
        else resolve(response);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * What a run sends: the same bytes every call (a steady-state reconcile, which the
 * function's response cache answers), or the i-th call's own bytes (every call new).
 */
export type Bodies = Buffer | ((call: number) => Buffer);

const bodyOf = (bodies: Bodies, call: number): Buffer => (Buffer.isBuffer(bodies) ? bodies : bodies(call));

/** One server and what to send it, for {@link latency}. */
export interface Target {
  client: RawClient;
  body: Bodies;
}

/**
 * Sequential calls: latency as one reconcile sees it. Calls are numbered from
 * 0, warm-up first. With several targets the calls take turns, one to each
 * target per round, so drift on the machine (other load, frequency) hits every
 * target alike and their ratios hold even when the absolute numbers move.
 */
export async function latency(targets: readonly Target[], benchCase: number, iterations: number, warmup: number): Promise<Stats[]> {
  for (let i = 0; i < warmup; i++) for (const { client, body } of targets) await client.call(bodyOf(body, i), benchCase);
  const samples = targets.map((): number[] => []);
  for (let i = 0; i < iterations; i++) {
    for (const [t, { client, body }] of targets.entries()) {
      const request = bodyOf(body, warmup + i);
      const start = performance.now();
      await client.call(request, benchCase);
      samples[t]?.push(performance.now() - start);
    }
  }
  return samples.map(stats);
}

/** `total` calls with `concurrency` in flight; calls per second. Calls are numbered from 0. */
export async function throughput(client: RawClient, body: Bodies, benchCase: number, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < total) {
      const call = next++;
      await client.call(bodyOf(body, call), benchCase);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return total / ((performance.now() - start) / 1000);
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
 * A Node `command` gets the function's V8 flags first (see below).
 */
export function startServerProcess(command: string, args: readonly string[], timeoutMs = 30_000): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // The image's ENTRYPOINT gives the function V8_FLAGS: given here too, the process measured runs
    // with the heap configuration the image runs. The echo floor, a Node server too, gets them alike.
    const child = spawn(command, command === process.execPath ? [...V8_FLAGS, ...args] : [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
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
