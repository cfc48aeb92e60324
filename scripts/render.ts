/**
 * `crossplane composition render` with the real Crossplane CLI and engine
 * (built by scripts/crossplane-tools/build.sh when missing) against this
 * function, served for the call on a free loopback port:
 *
 *   npm run render -- <xr.yaml> <composition.yaml> <functions.yaml> [crossplane composition render flags]
 *
 * Every flag is passed through (--required-resources, --observed-resources,
 * --include-full-xr, --xrd, ...). The Functions' Development target is pointed
 * at the served function, so nothing needs to be running beforehand.
 */
import { spawnSync } from 'node:child_process';
import { CLI_BINARY, CORE_BINARY, ensureTools, serveFunction } from './lib/crossplane-cli.js';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.filter((arg) => !arg.startsWith('-')).length < 3) {
    process.stderr.write('usage: npm run render -- <xr.yaml> <composition.yaml> <functions.yaml> [crossplane composition render flags]\n');
    return 2;
  }
  ensureTools();
  const fn = await serveFunction();
  try {
    const result = spawnSync(
      CLI_BINARY,
      ['composition', 'render', ...args, '--crossplane-binary', CORE_BINARY, '--function-annotations', `render.crossplane.io/runtime-development-target=${fn.target}`],
      { stdio: 'inherit' },
    );
    return result.status ?? 1;
  } finally {
    await fn.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`render: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
