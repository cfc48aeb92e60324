/** The provider models from the CRDs in schemas/ (a step of npm run generate). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommand } from './lib/cli.js';
import { AWS_MODELS_PATH, awsModelsSource } from './lib/models.js';
import { REPO_ROOT } from './lib/validation.js';

parseCommand({
  name: 'generate-models',
  usage: `Usage: tsx scripts/generate-models.ts

Writes ${AWS_MODELS_PATH} from the provider CRDs in schemas/ (a step of npm run generate).

Flags:
  -h, --help   Show this help.
`,
  options: {},
});

writeFileSync(join(REPO_ROOT, AWS_MODELS_PATH), await awsModelsSource());
process.stdout.write(`wrote ${AWS_MODELS_PATH}\n`);
