import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction, type BundleResult } from '../scripts/lib/bundle.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { call, newClient } from './helpers/grpc-client.js';
import { request, storageXr, withPlatformEnvironment } from './helpers/requests.js';

/** Packages that must never reach the image: test, build and type tooling. */
const DEV_ONLY = ['esbuild', 'fast-check', 'node-forge', 'tsx', 'typescript', 'vitest', 'wasmoon'];

/** Waits for the "serving RunFunction" log line and returns the port it names. */
function servingPort(child: ChildProcessWithoutNullStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`bundle did not start serving in 10s; stderr: ${err}`)), 10_000);
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('serving RunFunction')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.on('exit', (code) => reject(new Error(`bundle exited ${String(code)} before serving; stderr: ${err}`)));
  });
}

function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe('the function bundle (npm run bundle)', () => {
  let dir: string;
  let bundle: BundleResult;
  let isolated: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fn-bundle-'));
    bundle = await bundleFunction(join(dir, 'build', 'function-platform.mjs'));
    // Run it from a directory with no node_modules anywhere above, as in the image.
    isolated = join(dir, 'function-platform.mjs');
    copyFileSync(bundle.path, isolated);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is one file that holds runtime dependencies only', () => {
    expect(bundle.packages).toContain('@grpc/grpc-js');
    expect(bundle.packages).toContain('@crossplane-org/function-sdk-typescript');
    expect(bundle.packages.filter((name) => DEV_ONLY.includes(name))).toEqual([]);
    const runtime = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    // Every package inside is a runtime dependency or one of theirs, never a devDependency.
    const dev = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    expect(bundle.packages.filter((name) => dev.includes(name) && !runtime.includes(name))).toEqual([]);
    // The IAM model's engine (@cloud-copilot/*, AGPL) and what it pulls in are for tests only.
    expect(bundle.packages.filter((name) => name.startsWith('@cloud-copilot/'))).toEqual([]);
    // A budget, so an accidental import of a large package shows up in review.
    expect(bundle.bytes).toBeLessThan(3 * 1024 * 1024);
  });

  it('starts without node_modules, serves RunFunction over gRPC and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [isolated, '--insecure', '--address', '127.0.0.1:0'], { cwd: dir, env: { PATH: process.env.PATH ?? '' } });
    const exited = exitCode(child);
    try {
      const port = await servingPort(child);
      const client = newClient(`127.0.0.1:${port}`);
      try {
        const response = await call(client, request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() }));
        expect(response.results).toEqual([]);
        expect(Object.keys(response.desired?.resources ?? {})).toEqual(['claim']);
      } finally {
        client.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('answers --help like the source entry point (the image ENTRYPOINT takes the same flags)', async () => {
    const child = spawn(process.execPath, [isolated, '--help'], { cwd: dir });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await exitCode(child)).toBe(0);
    expect(out).toContain('--insecure');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('runs the bundle on distroless Node as a non-root user, listening on every interface, arguments appended', () => {
    expect(finalStage).toMatch(/^\nFROM gcr\.io\/distroless\/nodejs[0-9]+-[a-z0-9]+:nonroot/);
    expect(finalStage).toMatch(/^USER 65532:65532$/m);
    // The function's defaults bind loopback; in a pod Crossplane, the kubelet and Prometheus connect from outside.
    expect(finalStage).toContain(
      'ENTRYPOINT ["/nodejs/bin/node", "/function/function-platform.mjs", "--address=0.0.0.0:9443", "--metrics-address=0.0.0.0:8080", "--health-address=0.0.0.0:8081"]',
    );
    expect(finalStage).not.toMatch(/^CMD /m);
    expect(finalStage).toMatch(/^EXPOSE 9443$/m);
  });

  it('copies only the bundle into the final stage', () => {
    expect(finalStage.match(/^COPY .*$/gm)).toEqual(['COPY --from=build /src/dist/bundle/function-platform.mjs ./function-platform.mjs']);
  });

  it('builds the bundle with the npm script the test exercises', () => {
    expect(dockerfile).toContain('RUN npm run -s bundle');
    const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.bundle).toBe('tsx scripts/bundle.ts');
  });

  it('builds from the Docker build context alone (.dockerignore lets in what the bundle needs)', () => {
    // The context is "everything but" a short allow-list; copy exactly that and bundle there.
    const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.slice(1).map((l) => {
      expect(l.startsWith('!'), l).toBe(true);
      return l.slice(1).replace(/\/$/, '');
    });
    const context = mkdtempSync(join(tmpdir(), 'docker-context-'));
    try {
      for (const path of allowed) cpSync(join(REPO_ROOT, path), join(context, path), { recursive: true });
      // npm ci in the image; here the installed tree stands in for it.
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(context, 'node_modules'), 'dir');
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(context, 'scripts/bundle.ts')], { cwd: context, encoding: 'utf8', timeout: 60_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(existsSync(join(context, 'dist/bundle/function-platform.mjs'))).toBe(true);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });
});
