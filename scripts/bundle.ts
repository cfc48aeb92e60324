/**
 * Bundles the composition function into one file for the container image.
 *
 *   npm run bundle            # writes dist/bundle/function-platform.mjs
 *   node dist/bundle/function-platform.mjs --insecure --address 127.0.0.1:9443
 */
import { relative } from 'node:path';
import { bundleFunction } from './lib/bundle.js';
import { REPO_ROOT } from './lib/validation.js';

bundleFunction().then(
  (result) => {
    process.stdout.write(`wrote ${relative(REPO_ROOT, result.path)}: ${result.bytes} bytes, packages: ${result.packages.join(', ')}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`bundle: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
