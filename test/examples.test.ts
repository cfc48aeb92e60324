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
import { dependencyObjectName } from '../functions/platform/src/release.js';

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

describe('examples/install (docs/install.md)', () => {
  type Manifest = Record<string, unknown> & { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown> };
  const read = (path: string) => parseManifests(readFileSync(join(REPO_ROOT, path), 'utf8'), path) as Manifest[];
  const install = (file: string) => read(`examples/install/${file}`);
  const awsDependencies = ((read('crossplane.yaml')[0]?.spec?.dependsOn ?? []) as Array<{ kind: string; package: string; version: string }>).filter(
    (d) => d.kind === 'Provider' && d.package.includes('/provider-aws-'),
  );
  const configs = listFiles(join(REPO_ROOT, 'environment-configs'), ['.yaml']).flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file)) as Array<
    Manifest & { data?: { aws?: { accountId?: string; network?: { accountId: string; providerConfigName: string } }; dns?: { account?: { accountId: string; providerConfigName: string } } } }
  >;
  const configData = (label: string) => configs.find((c) => (c.metadata as { labels?: Record<string, string> }).labels?.['platform.projectcatalyst.io/environment'] === label)?.data;
  const base = configData('base');
  const roleAccount = (config: Manifest) => /^arn:aws:iam::([0-9]{12}):role\//.exec(((config.spec?.assumeRoleChain ?? []) as Array<{ roleARN: string }>)[0]?.roleARN ?? '')?.[1];
  const semver = (v: string) => v.replace(/^>=\s*/, '').replace(/^v/, '').split('.').map(Number);
  const atLeast = (version: string, floor: string) => {
    const [a, b] = [semver(version), semver(floor)];
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    return true;
  };

  it('installs exactly the AWS providers the Configuration depends on, under the names the resolver gives them, within its constraints, with the identity runtime config', () => {
    const providers = install('providers.yaml').filter((m) => m.kind === 'Provider');
    const runtimeConfigs = [...install('runtime-config-pod-identity.yaml'), ...install('runtime-config-irsa.yaml')];
    expect(new Set(runtimeConfigs.map((r) => r.metadata?.name)).size).toBe(1);
    const serviceAccounts = runtimeConfigs.map((r) => (r.spec?.serviceAccountTemplate as { metadata: { name: string } }).metadata.name);
    expect(new Set(serviceAccounts)).toEqual(new Set(['provider-aws']));
    expect(providers.map((p) => String(p.spec?.package).replace(/:[^:/]+$/, '')).sort()).toEqual(awsDependencies.map((d) => d.package).sort());
    for (const provider of providers) {
      const [repository = '', tag = ''] = String(provider.spec?.package).split(/:(?=[^:/]+$)/);
      expect(provider.metadata?.name, repository).toBe(dependencyObjectName(repository));
      const constraint = awsDependencies.find((d) => d.package === repository)?.version ?? '';
      expect(atLeast(tag, constraint), `${repository}:${tag} against ${constraint}`).toBe(true);
      expect((provider.spec?.runtimeConfigRef as { name: string }).name).toBe(runtimeConfigs[0]?.metadata?.name);
    }
  });

  it('gives every example Hub and Environment the ProviderConfig it names, and every ClusterProviderConfig the EnvironmentConfigs name, each assuming a role in the account it writes to', () => {
    const providerConfigs = install('provider-configs.yaml');
    const find = (kind: string, name: string, namespace?: string) => providerConfigs.find((p) => p.kind === kind && p.metadata?.name === name && p.metadata?.namespace === namespace);
    const xrs = exampleRenders().map((e) => e.input.xr as Manifest).filter((xr) => (xr.kind === 'Hub' || xr.kind === 'Environment') && (xr.spec as { provider?: string }).provider !== 'onprem');
    expect(xrs.length).toBeGreaterThanOrEqual(4);
    for (const xr of xrs) {
      const ref = xr.spec?.providerConfigRef as { name: string; kind?: string };
      const config = find(ref.kind ?? 'ProviderConfig', ref.name, ref.kind === 'ClusterProviderConfig' ? undefined : xr.metadata?.namespace);
      expect(config, `${xr.kind} ${xr.metadata?.namespace}/${xr.metadata?.name}: ${ref.name}`).toBeDefined();
      const override = (xr.spec?.overrides as { aws?: { accountId?: string } } | undefined)?.aws?.accountId;
      const account = xr.kind === 'Hub' ? base?.aws?.network?.accountId : (override ?? configData(String(xr.spec?.environment))?.aws?.accountId);
      expect(roleAccount(config as Manifest), `${xr.kind} ${xr.metadata?.name}`).toBe(account);
    }
    const network = find('ClusterProviderConfig', base?.aws?.network?.providerConfigName ?? '');
    const dns = find('ClusterProviderConfig', base?.dns?.account?.providerConfigName ?? '');
    expect(network && roleAccount(network)).toBe(base?.aws?.network?.accountId);
    expect(dns && roleAccount(dns)).toBe(base?.dns?.account?.accountId);
    // Every role ARN is a value the user must replace, and says so.
    const text = readFileSync(join(REPO_ROOT, 'examples/install/provider-configs.yaml'), 'utf8');
    for (const line of text.split('\n').filter((l) => l.includes('roleARN:'))) expect(line).toMatch(/#\s*placeholder:\s*\S/);
  });
});
