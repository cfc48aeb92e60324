/**
 * npm run generate:mrap (also the last step of npm run generate)
 *
 * Renders every example and writes the ManagedResourceActivationPolicy that
 * activates exactly the managed resource kinds they compose
 * (examples/deployment/managed-resource-activation-policy.yaml).
 * test/activation.test.ts fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTIVATION_POLICY_PATH, activationPolicyFile, managedResourceNames } from './lib/activation.js';
import { parseCommand } from './lib/cli.js';
import { exampleInventory } from './lib/dependencies.js';
import { REPO_ROOT } from './lib/validation.js';

parseCommand({
  name: 'generate:mrap',
  usage: `Usage: npm run generate:mrap

Renders every example and writes ${ACTIVATION_POLICY_PATH}: the
ManagedResourceActivationPolicy activating exactly the managed resource kinds
they compose (also the last step of npm run generate).

Flags:
  -h, --help   Show this help.
`,
  options: {},
});

exampleInventory().then(
  (inventory) => {
    const names = managedResourceNames(inventory);
    writeFileSync(join(REPO_ROOT, ACTIVATION_POLICY_PATH), activationPolicyFile(names));
    process.stdout.write(`wrote ${ACTIVATION_POLICY_PATH} (${names.length} managed resource kinds)\n`);
  },
  (error: unknown) => {
    process.stderr.write(`generate:mrap: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
