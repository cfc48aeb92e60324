/// <reference types="vite/client" />
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../functions/platform/src/kinds/index.js';
import { compositeResourceDefinition } from '../scripts/lib/xrd.js';
import { generatedFiles } from '../scripts/lib/generated.js';
import { AWS_MODELS_PATH, awsModelsSource } from '../scripts/lib/models.js';
import { SchemaValidator } from '../scripts/lib/schema-validator.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';

describe('one source of truth per schema', () => {
  it('the committed provider models are what `npm run generate` writes from schemas/', async () => {
    const committed = readFileSync(join(REPO_ROOT, AWS_MODELS_PATH), 'utf8');
    expect(committed, `${AWS_MODELS_PATH} is stale: run npm run generate`).toBe(await awsModelsSource());
  });

  it('the committed XRDs and Compositions are what `npm run generate` writes', () => {
    for (const [path, content] of generatedFiles()) {
      const committed = readFileSync(join(REPO_ROOT, path), 'utf8');
      expect(committed, `${path} is stale: run npm run generate`).toBe(content);
    }
  });

  // Specs each kind's zod schema and its generated XRD must judge alike: test/samples/<kind>.ts.
  const modules = import.meta.glob<{ default: unknown[] }>('./samples/*.ts', { eager: true });
  const samples: Record<string, unknown[]> = {};
  for (const [path, module] of Object.entries(modules)) samples[path.replace(/^.*\//, '').replace(/\.ts$/, '')] = module.default;

  for (const definition of KINDS) {
    it(`${definition.kind}: the XRD schema and the run-time schema accept and refuse the same specs`, () => {
      const validator = new SchemaValidator();
      validator.addOpenApiDocument(join(REPO_ROOT, 'schemas/kubernetes/api__v1_openapi.json'));
      validator.addXrd(compositeResourceDefinition(definition), 'generated');
      const specs = samples[definition.kind.toLowerCase()];
      expect(specs, `add test/samples/${definition.kind.toLowerCase()}.ts`).toBeDefined();
      let accepted = 0;
      for (const spec of specs ?? []) {
        const byZod = definition.spec.safeParse(spec).success;
        const byXrd =
          validator.validate({ apiVersion: 'platform.projectcatalyst.io/v1alpha1', kind: definition.kind, metadata: { name: 'x', namespace: 'y' }, spec }).status === 'valid';
        expect(byXrd, `${JSON.stringify(spec)}: zod says ${byZod}`).toBe(byZod);
        if (byZod) accepted++;
      }
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(specs?.length ?? 0);
    });
  }
});
