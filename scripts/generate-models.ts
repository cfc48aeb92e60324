import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsModelsSource } from './lib/models.js';
import { REPO_ROOT } from './lib/validation.js';

/** Where the generated provider models live. */
export const AWS_MODELS_PATH = 'functions/platform/src/resources/aws/models.generated.ts';

writeFileSync(join(REPO_ROOT, AWS_MODELS_PATH), await awsModelsSource());
process.stdout.write(`wrote ${AWS_MODELS_PATH}\n`);
