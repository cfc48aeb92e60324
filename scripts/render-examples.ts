/**
 * The main job: render every example under examples/ through the function
 * (real gRPC, in-process) and check the output against the real schemas.
 *
 *   npm run examples                 # print every rendered manifest
 *   npm run examples -- --out .out   # also write one file per example
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exampleRenders } from './lib/examples.js';
import { toYaml } from './lib/generated.js';
import { render } from './lib/render.js';
import { defaultValidator, validateManifests } from './lib/validation.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, quiet: { type: 'boolean', default: false } } });
  const validator = defaultValidator();
  let failed = false;
  for (const example of exampleRenders()) {
    const { manifests } = await render({ ...example.input, includeFullXr: true });
    const stream = manifests.map((m) => `---\n${toYaml(m)}`).join('');
    if (!values.quiet) process.stdout.write(`# ${example.file}\n${stream}`);
    if (values.out !== undefined) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, `${example.file.replaceAll('/', '_').replace(/\.ya?ml$/, '')}.rendered.yaml`), stream);
    }
    const report = validateManifests(validator, [{ file: example.file, manifests }], { errorOnMissingSchemas: true });
    for (const line of report.lines) process.stderr.write(`${line}\n`);
    process.stderr.write(`${report.failed ? 'FAIL' : 'ok  '} ${example.file}: ${manifests.length} manifests, ${report.valid} valid\n`);
    failed ||= report.failed;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`examples: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
