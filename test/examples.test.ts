import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleRenders } from '../scripts/lib/examples.js';
import { renderInProcess } from '../scripts/lib/in-process.js';
import { listFiles, parseManifests } from '../scripts/lib/schema-validator.js';
import { defaultValidator, REPO_ROOT, validateManifests, type ManifestSource } from '../scripts/lib/validation.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';

const validator = defaultValidator();

function sources(paths: string[]): ManifestSource[] {
  return paths
    .map((p) => join(REPO_ROOT, p))
    .filter((p) => existsSync(p))
    .flatMap((p) => (p.endsWith('.yaml') ? [p] : listFiles(p, ['.yaml'])))
    .map((file) => ({ file, manifests: parseManifests(readFileSync(file, 'utf8'), file) }));
}

describe('examples', () => {
  const examples = exampleRenders();

  it('has an example per Storage class', () => {
    const classes = examples.filter((e) => e.input.xr.kind === 'Storage').map((e) => (e.input.xr.spec as { class?: string }).class ?? 'standard');
    expect([...new Set(classes)].sort()).toEqual(['bulk', 'fast', 'standard']);
  });

  for (const example of examples) {
    it(`${example.file} renders and every manifest validates against the real schemas`, async () => {
      const manifests = renderInProcess(example.input.xr, example.input.requiredResources);
      expect(manifests.length).toBeGreaterThan(1);
      const report = validateManifests(validator, [{ file: example.file, manifests }], { errorOnMissingSchemas: true });
      expect(report.lines).toEqual([]);
      expect(report.valid).toBe(manifests.length);
    });
  }

  it('a Storage example composes a claim on the mapped class, sized as asked', async () => {
    const example = examples.find((e) => e.file === 'examples/storage/bulk.yaml');
    expect(example).toBeDefined();
    const manifests = renderInProcess(example!.input.xr, example!.input.requiredResources);
    const claim = manifests.find((m) => m.kind === 'PersistentVolumeClaim');
    expect(claim?.spec).toEqual({ accessModes: ['ReadWriteOncePod'], resources: { requests: { storage: '500Gi' } }, storageClassName: 'bulk' });
    expect(manifests[0]?.status).toMatchObject({ claimName: 'archive', storageClassName: 'bulk' });
  });
});

describe('npm run validate (the real `crossplane resource validate`)', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/validate.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it('passes over everything in the repository', () => {
    const result = run([]);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/0 failure cases/);
  }, 180_000);

  it('fails on an unknown field and a missing required field in an XR, naming them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'apiVersion: platform.projectcatalyst.io/v1alpha1\nkind: Storage\nmetadata: { name: a, namespace: b }\nspec: { clas: fast }\n');
      const result = run([file]);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain('spec.clas');
      expect(result.stdout).toContain('spec.size');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('the in-process schema validator the unit tests use', () => {
  it('passes over everything in the repository', () => {
    const report = validateManifests(validator, sources(['xrds', 'compositions', 'environment-configs', 'examples', 'crossplane.yaml', 'package']), {
      errorOnMissingSchemas: true,
    });
    expect(report.lines).toEqual([]);
    expect(report.valid).toBeGreaterThan(10);
  });

  const invalid: Array<{ reason: string; manifest: Record<string, unknown>; want: string[] }> = [
    {
      reason: 'an unknown field in a built-in kind',
      manifest: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'a', namespace: 'b' }, spec: { storageClassNam: 'fast' } },
      want: ['spec.storageClassNam: unknown field'],
    },
    {
      reason: 'an unknown field in a CRD kind',
      manifest: { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition', metadata: { name: 'a' }, spec: { compositeTypeRef: { apiVersion: 'a/v1', kind: 'A' }, mode: 'Pipeline', pipelin: [] } },
      want: ['spec.pipelin: unknown field'],
    },
    {
      reason: 'a missing required field and a wrong enum in an XR',
      manifest: { apiVersion: 'platform.projectcatalyst.io/v1alpha1', kind: 'Storage', metadata: { name: 'a', namespace: 'b' }, spec: { class: 'turbo' } },
      want: ['spec.size: required field is missing', 'spec.class: must be one of "fast", "standard", "bulk"'],
    },
    {
      reason: 'a namespace on a cluster-scoped kind',
      manifest: { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name: 'a', namespace: 'b' } },
      want: ['metadata.namespace: EnvironmentConfig is cluster-scoped and takes no namespace'],
    },
    {
      reason: 'a bad field in platform-environment data, checked with the function schema',
      manifest: { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name: 'platform-environment' }, data: { environment: 'Dev!' } },
      want: ['data.environment: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit'],
    },
  ];
  for (const tc of invalid) {
    it(`reports ${tc.reason} with its field path`, () => {
      const report = validateManifests(validator, [{ file: 'case.yaml', manifests: [tc.manifest] }], { errorOnMissingSchemas: true });
      expect(report.failed).toBe(true);
      expect(report.lines.map((l) => l.replace(/^.*\(case\.yaml\): /, ''))).toEqual(tc.want);
    });
  }

  it('reports kinds without a schema, and fails on them only when asked', () => {
    const manifest = { apiVersion: 'example.org/v1', kind: 'Unknown', metadata: { name: 'a' } };
    expect(validateManifests(validator, [{ file: 'x', manifests: [manifest] }], { errorOnMissingSchemas: false }).failed).toBe(false);
    expect(validateManifests(validator, [{ file: 'x', manifests: [manifest] }], { errorOnMissingSchemas: true }).failed).toBe(true);
  });
});
