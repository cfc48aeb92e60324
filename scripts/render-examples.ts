/**
 * The main job: render every example under examples/ with the real Crossplane
 * CLI and engine (the first reconcile of each XR, against this function) and
 * check every output with the real `crossplane resource validate`.
 *
 *   npm run examples                 # print every rendered manifest
 *   npm run examples -- --out .out   # also write one file per example
 *
 * Builds the Crossplane tools first when they are missing (Go required).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCommand } from './lib/cli.js';
import { compositionRender, ensureTools, resourceValidate, scratchDir, serveFunction, validationExtensions } from './lib/crossplane-cli.js';
import { exampleRenders } from './lib/examples.js';
import { kindFiles, requiredResourceDirs } from './lib/real-engine.js';
import { REPO_ROOT } from './lib/validation.js';

const USAGE = `Usage: npm run examples [-- flags]

Renders every example under examples/ with the real Crossplane engine against
this checkout's function, prints the rendered YAML on stdout, and validates each
output with the real crossplane resource validate: one "ok" or "FAIL" line per
example on stderr. Exit 1 when any example fails. Builds the Crossplane tools
first when they are missing (Go required).

Flags:
  --out <dir>   Also write one <example>.rendered.yaml per example into <dir>.
  --quiet       Do not print the rendered YAML (only the per-example lines).
  -h, --help    Show this help.
`;

async function main(): Promise<number> {
  const { values } = parseCommand({ name: 'examples', usage: USAGE, options: { out: { type: 'string' }, quiet: { type: 'boolean', default: false } } });
  ensureTools();
  const scratch = scratchDir('examples-');
  const fn = await serveFunction();
  let failed = false;
  try {
    const rendered: Array<{ file: string; output: string; manifests: number }> = [];
    for (const example of exampleRenders()) {
      const run = compositionRender(
        { xr: join(REPO_ROOT, example.file), ...kindFiles(String(example.input.xr.kind)), requiredResources: requiredResourceDirs(String(example.input.xr.kind)), includeFullXr: true },
        fn.target,
      );
      if (run.status !== 0) {
        process.stderr.write(`FAIL ${example.file}: crossplane composition render exited ${run.status}\n${run.stderr}\n`);
        failed = true;
        continue;
      }
      const name = `${example.file.replaceAll('/', '_').replace(/\.ya?ml$/, '')}.rendered.yaml`;
      const output = join(scratch.path, 'rendered', name);
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, run.stdout);
      if (!values.quiet) process.stdout.write(`# ${example.file}\n${run.stdout}`);
      if (values.out !== undefined) {
        mkdirSync(values.out, { recursive: true });
        writeFileSync(join(values.out, name), readFileSync(output));
      }
      rendered.push({ file: example.file, output, manifests: run.manifests.length });
    }
    // One `resource validate` over every output: it loads every CRD per call, which costs
    // more than the check itself. Only when something fails is each output validated
    // alone, to say which example it came from.
    const extensions = validationExtensions(scratch.path);
    const all = rendered.length > 0 ? resourceValidate(extensions, join(scratch.path, 'rendered')) : { status: 0, findings: [] };
    const allOk = all.status === 0 && all.findings.length === 0;
    for (const { file, output, manifests } of rendered) {
      const validation = allOk ? all : resourceValidate(extensions, output);
      if (!allOk) for (const line of validation.findings) process.stderr.write(`${line}\n`);
      const ok = validation.status === 0 && validation.findings.length === 0;
      process.stderr.write(`${ok ? 'ok  ' : 'FAIL'} ${file}: ${manifests} manifests\n`);
      failed ||= !ok;
    }
  } finally {
    await fn.stop();
    scratch.dispose();
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
