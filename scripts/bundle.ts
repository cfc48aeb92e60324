/**
 * Bundles the composition function into one file for the container image.
 *
 *   npm run bundle            # writes dist/bundle/function-platform.mjs
 *   node dist/bundle/function-platform.mjs --insecure --address 127.0.0.1:9443
 */
import { relative } from 'node:path';
import { bundleFunction } from './lib/bundle.js';
import { parseCommand } from './lib/cli.js';
import { REPO_ROOT } from './lib/validation.js';

parseCommand({
  name: 'bundle',
  usage: `Usage: npm run bundle

Bundles the composition function and its dependencies into one file,
dist/bundle/function-platform.mjs (what the container image runs). Run it with
node dist/bundle/function-platform.mjs --insecure.

Flags:
  -h, --help   Show this help.
`,
  options: {},
});

bundleFunction().then(
  (result) => {
    process.stdout.write(`wrote ${relative(REPO_ROOT, result.path)}: ${result.bytes} bytes, packages: ${result.packages.join(', ')}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
