/**
 * The real Crossplane tools, built from Go modules by
 * scripts/crossplane-tools/build.sh: the CLI's `composition render` (which runs
 * the core's real XR reconciler through `--crossplane-binary`) and
 * `resource validate`, and our function served for them on loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFiles, parseManifests } from './schema-validator.js';
import { REPO_ROOT } from './validation.js';
import { toYaml } from './generated.js';

type JsonObject = Record<string, unknown>;

export const TOOLS_DIR = process.env.CROSSPLANE_TOOLS_DIR ?? join(REPO_ROOT, '.tools', 'crossplane');
export const CLI_BINARY = join(TOOLS_DIR, 'crossplane');
export const CORE_BINARY = join(TOOLS_DIR, 'crossplane-core');
const VALIDATE_CACHE = join(TOOLS_DIR, 'validate-cache');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'crossplane-tools', 'build.sh');
const DEVELOPMENT_TARGET = 'render.crossplane.io/runtime-development-target';

/** Whether the tools are built. */
export function toolsBuilt(): boolean {
  return existsSync(CLI_BINARY) && existsSync(CORE_BINARY) && existsSync(join(TOOLS_DIR, 'core-version'));
}

/** Builds the tools when they are missing or out of date (a no-op once built); throws when Go is missing. */
export function ensureTools(): void {
  const result = spawnSync('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`cannot build the Crossplane tools: ${BUILD_SCRIPT} exited ${String(result.status)}`);
}

/** The Crossplane core version the tools were built at (the release the package targets). */
export function coreVersion(): string {
  return readFileSync(join(TOOLS_DIR, 'core-version'), 'utf8').trim();
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the function did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Our function, served in its own process with --insecure on loopback, as `crossplane render`'s Development runtime expects. */
export interface ServedFunction {
  target: string;
  metricsPort: number;
  stop(): Promise<void>;
}

export async function serveFunction(): Promise<ServedFunction> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'functions/platform/src/main.ts'), '--insecure', '--address', `127.0.0.1:${port}`, '--metrics-address', `127.0.0.1:${metricsPort}`, '--health-address', ''],
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    target: `127.0.0.1:${port}`,
    metricsPort,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The function's total RunFunction calls, from its Prometheus endpoint (a fresh connection each time). */
export async function functionCalls(fn: ServedFunction): Promise<number> {
  const body = await new Promise<string>((resolve, reject) => {
    get({ host: '127.0.0.1', port: fn.metricsPort, path: '/metrics', agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
    }).once('error', reject);
  });
  let total = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('function_run_function_requests_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** One `crossplane composition render`: what to render, and with what. */
export interface RenderFiles {
  xr: string;
  composition: string;
  functions: string;
  xrd?: string;
  requiredResources?: readonly string[];
  observedResources?: string;
  includeFullXr?: boolean;
  includeFunctionResults?: boolean;
}

/** What the CLI printed, parsed, and how it exited. */
export interface RenderRun {
  status: number;
  stdout: string;
  stderr: string;
  /** The XR as the engine wrote it, then each composed resource, then Results (with -r). */
  manifests: JsonObject[];
}

/** Runs the real `crossplane composition render` with the real engine (`--crossplane-binary`) against the function at `target`. */
export function compositionRender(files: RenderFiles, target: string): RenderRun {
  const args = [
    'composition',
    'render',
    files.xr,
    files.composition,
    files.functions,
    '--crossplane-binary',
    CORE_BINARY,
    '--function-annotations',
    `${DEVELOPMENT_TARGET}=${target}`,
    '--timeout',
    '5m',
    ...(files.xrd !== undefined ? ['--xrd', files.xrd] : []),
    ...(files.requiredResources ?? []).flatMap((path) => ['--required-resources', path]),
    ...(files.observedResources !== undefined ? ['--observed-resources', files.observedResources] : []),
    ...(files.includeFullXr ? ['--include-full-xr'] : []),
    ...(files.includeFunctionResults ? ['--include-function-results'] : []),
  ];
  const result = spawnSync(CLI_BINARY, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, HOME: process.env.HOME ?? tmpdir() } });
  const status = result.status ?? 1;
  return { status, stdout: result.stdout, stderr: result.stderr, manifests: status === 0 ? parseManifests(result.stdout, 'crossplane composition render') : [] };
}

/**
 * Runs the real `crossplane resource validate` offline: `extensions` are files
 * or directories of CRDs and XRDs; Crossplane's own CRDs come from the core
 * module (validate-cache), so nothing is downloaded. Missing schemas count as
 * failures.
 */
export function resourceValidate(extensions: string, resources: string, options: { errorOnMissingSchemas?: boolean } = {}): { status: number; findings: string[]; output: string } {
  const result = spawnSync(
    CLI_BINARY,
    [
      'resource',
      'validate',
      extensions,
      resources,
      '--cache-dir',
      VALIDATE_CACHE,
      '--crossplane-image',
      `xpkg.crossplane.io/crossplane/crossplane:${coreVersion()}`,
      '--skip-success-results',
      ...((options.errorOnMissingSchemas ?? true) ? ['--error-on-missing-schemas'] : []),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const output = `${result.stdout}${result.stderr}`;
  const findings = output.split('\n').filter((line) => line.startsWith('[x]') || line.startsWith('[!]'));
  return { status: result.status ?? 1, findings, output };
}

/**
 * The extensions `resource validate` checks against: every CRD in schemas/
 * (upstream providers and operators), this package's XRDs and any `extraDirs`,
 * written into one file in `dir`. Returns the file.
 */
export function validationExtensions(dir: string, extraDirs: readonly string[] = []): string {
  const documents: string[] = [];
  const walk = (path: string): void => {
    for (const file of listFiles(path, ['.yaml', '.yml'])) {
      if (file.includes(join('schemas', 'charts'))) continue;
      const text = readFileSync(file, 'utf8');
      // A file of CRDs and XRDs only is copied as written: parsing and re-printing
      // megabytes of schemas took longer than the validation itself.
      const kinds = [...text.matchAll(/^kind:\s*(\S+)\s*$/gm)].map((m) => m[1]);
      if (kinds.length > 0 && kinds.every((kind) => kind === 'CustomResourceDefinition' || kind === 'CompositeResourceDefinition')) {
        documents.push(`---\n${text}${text.endsWith('\n') ? '' : '\n'}`);
        continue;
      }
      for (const manifest of parseManifests(text, file)) {
        if (manifest.kind === 'CustomResourceDefinition' || manifest.kind === 'CompositeResourceDefinition') documents.push(`---\n${toYaml(manifest)}`);
      }
    }
  };
  walk(join(REPO_ROOT, 'schemas'));
  walk(join(REPO_ROOT, 'xrds'));
  for (const extra of extraDirs) walk(extra);
  writeFileSync(join(dir, 'extensions.yaml'), documents.join(''));
  return join(dir, 'extensions.yaml');
}

/** A scratch directory removed by `dispose`. */
export function scratchDir(prefix: string): { path: string; dispose(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}
