import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KINDS } from '../../functions/platform/src/kinds/index.js';
import { API_GROUP_VERSION } from '../../functions/platform/src/composite.js';
import { listFiles, parseManifests } from './schema-validator.js';
import { REPO_ROOT } from './validation.js';

type JsonObject = Record<string, unknown>;

/** One example XR and what Crossplane supplies it in a cluster. */
export interface ExampleRender {
  /** Path of the example file, relative to the repository root. */
  file: string;
  input: {
    xr: JsonObject;
    /**
     * Every EnvironmentConfig the repository ships (platform configs and the
     * environment-cluster example), the resources XRs read (a Hub with its
     * status) and the example Environments (each Environment is checked against
     * the others; the XR itself among them is skipped, as in a cluster): what
     * the Compositions' required resources are fetched from.
     */
    requiredResources: JsonObject[];
  };
}

function readAll(dir: string): JsonObject[] {
  return listFiles(dir, ['.yaml', '.yml']).flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file));
}

/** Every XR under examples/, with the pool its Composition's required resources come from. */
export function exampleRenders(root = REPO_ROOT): ExampleRender[] {
  // examples/required/ holds resources XRs read (such as a Hub with its status), not XRs to render.
  const required = [
    ...readAll(join(root, 'environment-configs')),
    ...readAll(join(root, 'examples/environment-cluster')),
    ...readAll(join(root, 'examples/required')),
    ...readAll(join(root, 'examples/environment')),
  ];
  const out: ExampleRender[] = [];
  for (const file of listFiles(join(root, 'examples'), ['.yaml', '.yml'])) {
    if (file.startsWith(join(root, 'examples/required'))) continue;
    for (const xr of parseManifests(readFileSync(file, 'utf8'), file)) {
      if (xr.apiVersion !== API_GROUP_VERSION) continue;
      if (!KINDS.some((k) => k.kind === xr.kind)) throw new Error(`${file}: no kind ${String(xr.kind)} in this package`);
      out.push({ file: relative(root, file), input: { xr, requiredResources: required } });
    }
  }
  return out;
}
