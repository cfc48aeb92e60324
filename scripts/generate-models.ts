import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AWS_MODELS_PATH, awsModelsSource } from './lib/models.js';
import { REPO_ROOT } from './lib/validation.js';

writeFileSync(join(REPO_ROOT, AWS_MODELS_PATH), await awsModelsSource());
process.stdout.write(`wrote ${AWS_MODELS_PATH}\n`);
