/**
 * A local `crossplane render` for people without the Crossplane CLI:
 *
 *   npm run render -- <xr.yaml> <composition.yaml> <functions.yaml>
 *       [--required-resources PATH]... [--observed-resources PATH]...
 *       [--include-full-xr] [--include-function-results]
 *
 * PATH is a YAML file or a directory of them. The function runs in-process
 * over real gRPC, or is reached at its Development runtime target.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { listFiles, parseManifests } from './lib/schema-validator.js';
import { render, RenderError } from './lib/render.js';
import { toYaml } from './lib/generated.js';

/** Reads every manifest in a file or directory. */
export function readManifests(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) throw new RenderError(`cannot read ${path}: no such file or directory`);
  const files = statSync(path).isDirectory() ? listFiles(path, ['.yaml', '.yml']) : [path];
  return files.flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file));
}

function single(path: string, what: string): Record<string, unknown> {
  const manifests = readManifests(path);
  if (manifests.length !== 1 || manifests[0] === undefined) throw new RenderError(`cannot read ${what} from ${path}: expected exactly one manifest, found ${manifests.length}`);
  return manifests[0];
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'required-resources': { type: 'string', multiple: true, default: [] },
      'extra-resources': { type: 'string', multiple: true, default: [] },
      'observed-resources': { type: 'string', multiple: true, default: [] },
      'include-full-xr': { type: 'boolean', default: false },
      'include-function-results': { type: 'boolean', default: false },
    },
  });
  const [xrPath, compositionPath, functionsPath] = positionals;
  if (xrPath === undefined || compositionPath === undefined || functionsPath === undefined || positionals.length > 3) {
    process.stderr.write('usage: npm run render -- <xr.yaml> <composition.yaml> <functions.yaml> [--required-resources PATH] [--observed-resources PATH] [--include-full-xr] [--include-function-results]\n');
    return 2;
  }
  const output = await render({
    xr: single(xrPath, 'the composite resource'),
    composition: single(compositionPath, 'the Composition'),
    functions: readManifests(functionsPath),
    requiredResources: [...values['required-resources'], ...values['extra-resources']].flatMap(readManifests),
    observedResources: values['observed-resources'].flatMap(readManifests),
    includeFullXr: values['include-full-xr'],
    includeFunctionResults: values['include-function-results'],
    log: (line) => process.stderr.write(`render: ${line}\n`),
  });
  process.stdout.write(output.manifests.map((m) => `---\n${toYaml(m)}`).join(''));
  return 0;
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
