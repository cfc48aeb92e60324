import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { REPO_ROOT } from './validation.js';

/** Where `npm run bundle` writes the function: one file, every dependency inside. */
export const BUNDLE_PATH = join(REPO_ROOT, 'dist', 'bundle', 'function-platform.mjs');

/** The function's entry point. */
const ENTRY = join(REPO_ROOT, 'functions', 'platform', 'src', 'main.ts');

/**
 * ESM output still meets CommonJS dependencies (grpc-js, pino) that call
 * `require` for Node built-ins; give them one, and the CommonJS path globals.
 */
const ESM_REQUIRE_SHIM = [
  "import { createRequire as __cfCreateRequire } from 'node:module';",
  "import { fileURLToPath as __cfFileURLToPath } from 'node:url';",
  "import { dirname as __cfDirname } from 'node:path';",
  'const require = __cfCreateRequire(import.meta.url);',
  'const __filename = __cfFileURLToPath(import.meta.url);',
  'const __dirname = __cfDirname(__filename);',
].join('\n');

/** What a bundle run produced. */
export interface BundleResult {
  path: string;
  bytes: number;
  /** npm packages inside the bundle, sorted: what the image ships besides Node. */
  packages: string[];
}

function packagesIn(metafile: Metafile): string[] {
  const names = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}

/**
 * Bundles the function with esbuild into one ES module that runs on a bare
 * Node (20 here, 24 in the image) with no node_modules next to it, so the
 * container image holds Node and this file only.
 */
export async function bundleFunction(outfile = BUNDLE_PATH): Promise<BundleResult> {
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // Names stay readable in stack traces and in error classes' `name`.
    keepNames: true,
    legalComments: 'none',
    banner: { js: ESM_REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning',
  });
  return { path: outfile, bytes: statSync(outfile).size, packages: packagesIn(result.metafile) };
}
