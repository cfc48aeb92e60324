/**
 * Writes the generated docs: docs/reference/<kind>.md (every spec and status field,
 * from the zod schemas through the XRD), docs/reference/README.md, and
 * docs/architecture.md (Mermaid diagrams from the registry, crossplane.yaml and
 * the rendered examples). test/docs.test.ts fails when they are stale.
 *
 *   npm run docs
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseCommand } from './lib/cli.js';
import { exampleInventory } from './lib/dependencies.js';
import { REFERENCE_DIR, generatedDocs, readDoc } from './lib/docs.js';
import { REPO_ROOT } from './lib/validation.js';

const USAGE = `Usage: npm run docs

Regenerates docs/reference/<kind>.md, docs/reference/README.md and
docs/architecture.md from the code and the rendered examples, printing each
file it changes. Commit the result; test/docs.test.ts fails when they are stale.

Flags:
  -h, --help   Show this help.
`;

async function main(): Promise<void> {
  parseCommand({ name: 'docs', usage: USAGE, options: {} });
  const docs = generatedDocs(await exampleInventory());
  for (const [path, content] of docs) {
    if (readDoc(path) === content) continue;
    mkdirSync(dirname(join(REPO_ROOT, path)), { recursive: true });
    writeFileSync(join(REPO_ROOT, path), content);
    process.stdout.write(`wrote ${path}\n`);
  }
  // A kind that left the registry leaves no page behind.
  for (const name of readdirSync(join(REPO_ROOT, REFERENCE_DIR))) {
    const path = `${REFERENCE_DIR}/${name}`;
    if (name.endsWith('.md') && !docs.has(path)) {
      rmSync(join(REPO_ROOT, path));
      process.stdout.write(`removed ${path}\n`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`docs: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
