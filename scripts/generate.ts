/**
 * Regenerates every tracked file derived from the code, in order: xrds/,
 * compositions/ and the other files of scripts/lib/generated.ts; the provider
 * models (scripts/generate-models.ts); the ManagedResourceActivationPolicy
 * (scripts/generate-mrap.ts). The later steps run as their own processes so
 * each loads the files the step before it wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCommand } from './lib/cli.js';
import { generatedFiles } from './lib/generated.js';
import { REPO_ROOT } from './lib/validation.js';

const USAGE = `Usage: npm run generate

Regenerates xrds/, compositions/, the provider models and the
ManagedResourceActivationPolicy from the code, printing each file it writes.
Commit the result; the tests fail when a generated file is stale.

Flags:
  -h, --help   Show this help.
`;

parseCommand({ name: 'generate', usage: USAGE, options: {} });

for (const [path, content] of generatedFiles()) {
  mkdirSync(dirname(join(REPO_ROOT, path)), { recursive: true });
  writeFileSync(join(REPO_ROOT, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
for (const step of ['scripts/generate-models.ts', 'scripts/generate-mrap.ts']) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, step)], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`generate: ${step} exited ${String(result.status ?? result.signal)}\n`);
    process.exit(1);
  }
}
