import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KINDS } from '../../functions/platform/src/kinds/index.js';
import { API_GROUP_VERSION } from '../../functions/platform/src/composite.js';
import { listFiles, parseManifests } from './schema-validator.js';
import { REPO_ROOT } from './validation.js';
import type { RenderInput } from './render.js';

type JsonObject = Record<string, unknown>;

/** One example XR and everything needed to render it. */
export interface ExampleRender {
  /** Path of the example file, relative to the repository root. */
  file: string;
  input: RenderInput;
}

function readAll(dir: string): JsonObject[] {
  return listFiles(dir, ['.yaml', '.yml']).flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file));
}

/**
 * Every XR under examples/ with the Composition of its kind, the example
 * functions file, and as required resources every EnvironmentConfig the
 * repository ships (platform configs and the environment-cluster example):
 * the function's own selectors pick the right ones, as in a cluster.
 */
export function exampleRenders(root = REPO_ROOT): ExampleRender[] {
  // Served in-process: drop the Development runtime annotation meant for crossplane render.
  const functions = parseManifests(readFileSync(join(root, 'examples/functions.yaml'), 'utf8'), 'examples/functions.yaml').map((fn) => ({
    ...fn,
    metadata: { name: (fn.metadata as { name?: string } | undefined)?.name },
  }));
  // examples/required/ holds resources XRs read (such as a Hub with its status), not XRs to render.
  const required = [
    ...readAll(join(root, 'environment-configs')),
    ...readAll(join(root, 'examples/environment-cluster')),
    ...readAll(join(root, 'examples/required')),
  ];
  const out: ExampleRender[] = [];
  for (const file of listFiles(join(root, 'examples'), ['.yaml', '.yml'])) {
    if (file.startsWith(join(root, 'examples/required'))) continue;
    for (const xr of parseManifests(readFileSync(file, 'utf8'), file)) {
      if (xr.apiVersion !== API_GROUP_VERSION) continue;
      const definition = KINDS.find((k) => k.kind === xr.kind);
      if (definition === undefined) throw new Error(`${file}: no kind ${String(xr.kind)} in this package`);
      const compositionFile = join(root, 'compositions', `${definition.plural}.yaml`);
      const [composition] = parseManifests(readFileSync(compositionFile, 'utf8'), compositionFile);
      if (composition === undefined) throw new Error(`${compositionFile} is empty`);
      out.push({ file: relative(root, file), input: { xr, composition, functions, requiredResources: required } });
    }
  }
  return out;
}
