import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { exampleRenders } from '../scripts/lib/examples.js';
import { desiredManifests } from '../scripts/lib/in-process.js';
import { diffPlans, formatDiff, type PlanDiff } from '../scripts/lib/plan-diff.js';
import { formatSummary, formatValues, planXr, requiredPool, type Plan } from '../scripts/lib/plan.js';
import { settleInProcess } from '../scripts/lib/settle.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { readManifest, type JsonObject } from './helpers/requests.js';

const COMPONENT = 'platform.projectcatalyst.io/component';

function labels(manifest: JsonObject): Record<string, string> {
  return (((manifest.metadata ?? {}) as JsonObject).labels ?? {}) as Record<string, string>;
}

function forProvider(manifest: JsonObject): JsonObject {
  return ((manifest.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
}

describe('npm run plan: every example, fully created', () => {
  for (const example of exampleRenders()) {
    it(`${example.file}: the groups hold exactly the fixpoint's resources, by the component the function recorded, and every Helm release with its chart, version and values`, () => {
      const { xr, requiredResources } = example.input;
      const plan = planXr(xr, requiredResources);
      // The fixpoint computed independently of the plan: the last reconcile of the settled XR.
      const fixpoint = desiredManifests(xr, settleInProcess(xr, requiredResources).response);
      const expected = new Map<string, number>();
      for (const manifest of fixpoint) {
        const group = labels(manifest)[COMPONENT] ?? String(xr.kind).toLowerCase();
        expected.set(group, (expected.get(group) ?? 0) + 1);
      }
      expect(Object.fromEntries(plan.groups.map((g) => [g.name, g.resources.length]))).toEqual(Object.fromEntries(expected));
      expect(plan.total).toBe(fixpoint.length);
      expect(plan.status).not.toHaveProperty('pendingResources');

      const releases = fixpoint.filter((m) => m.kind === 'Release');
      const planned = plan.groups.flatMap((g) => g.resources).filter((r) => r.chart !== undefined);
      expect(planned.map((r) => r.name).sort()).toEqual(releases.map((m) => String((m.metadata as JsonObject).name)).sort());
      for (const release of releases) {
        const entry = planned.find((r) => r.name === (release.metadata as JsonObject).name);
        const chart = forProvider(release).chart as JsonObject;
        expect(entry?.chart).toEqual({ repository: chart.repository, chart: chart.name, version: chart.version, namespace: forProvider(release).namespace, values: forProvider(release).values });
        expect(entry?.addon, `${entry?.key} belongs to an add-on`).toBeDefined();
      }
      const summary = formatSummary(plan);
      expect(summary).toContain(`composes ${fixpoint.length} resources`);
      for (const entry of planned) expect(summary).toContain(`chart ${entry.chart?.chart} ${entry.chart?.version}`);
      if (planned.length > 0) expect(formatValues(plan)).toContain(`release: ${planned[0]?.key}`);
    });
  }
});

describe('npm run plan --diff: what an edit changes, and what AWS would replace', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'plan-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const pool = requiredPool();
  const prod = readManifest('examples/environment/prod.yaml');
  const dev = readManifest('examples/environment/dev.yaml');
  const plans = new Map<string, Plan>();
  const planOf = (name: string, xr: JsonObject, from: readonly JsonObject[] = pool): Plan => {
    let plan = plans.get(name);
    if (plan === undefined) {
      plan = planXr(xr, from);
      plans.set(name, plan);
    }
    return plan;
  };
  const withSpec = (xr: JsonObject, edit: (spec: JsonObject) => void): JsonObject => {
    const copy = structuredClone(xr);
    edit(copy.spec as JsonObject);
    return copy;
  };
  /** The repository's EnvironmentConfigs with `edit` applied to one of them, as a directory --diff-configs reads. */
  const editedConfigs = (name: string, file: string, edit: (data: JsonObject) => void): readonly JsonObject[] => {
    const dir = join(scratch, name);
    cpSync(join(REPO_ROOT, 'environment-configs'), dir, { recursive: true });
    const config = parse(readFileSync(join(dir, file), 'utf8')) as JsonObject;
    edit(config.data as JsonObject);
    writeFileSync(join(dir, file), stringify(config));
    return requiredPool({ configs: [dir, join(REPO_ROOT, 'examples/environment-cluster')] });
  };
  const change = (diff: PlanDiff, key: string) => diff.changed.find((c) => c.key === key);

  const cases: Array<{ reason: string; diff: () => PlanDiff; check: (diff: PlanDiff) => void }> = [
    {
      reason: 'no edit: the diff is empty',
      diff: () => diffPlans(planOf('prod', prod), planOf('prod', prod)),
      check: (diff) => {
        expect(diff).toEqual({ added: [], removed: [], changed: [] });
        expect(formatDiff(diff)).toMatch(/^No changes/);
      },
    },
    {
      reason: 'an edited XR field (the database size) changes that one field in place',
      diff: () => diffPlans(planOf('prod', prod), planOf('prod-db', withSpec(prod, (s) => ((s.overrides as JsonObject).database = { instanceClass: 'db.m7g.4xlarge' })))),
      check: (diff) => {
        expect(diff.added).toEqual([]);
        expect(diff.removed).toEqual([]);
        expect(diff.changed.map((c) => [c.key, c.action])).toEqual([['database', 'update']]);
        expect(change(diff, 'database')?.fields).toEqual([{ path: 'spec.forProvider.instanceClass', before: 'db.m7g.2xlarge', after: 'db.m7g.4xlarge' }]);
      },
    },
    {
      reason: 'a new VPC range is immutable for the VPC and its subnets: REPLACE, naming the field; a kind without facts is changed with replacement unknown',
      diff: () => diffPlans(planOf('prod', prod), planOf('prod-cidr', withSpec(prod, (s) => ((s.network as JsonObject).cidr = '10.4.0.0/16')))),
      check: (diff) => {
        expect(change(diff, 'vpc')).toMatchObject({ action: 'replace', replacedBy: ['spec.forProvider.cidrBlock'] });
        expect(change(diff, 'subnet-private-a')).toMatchObject({ action: 'replace', replacedBy: ['spec.forProvider.cidrBlock'] });
        expect(change(diff, 'security-group-rule-endpoints-from-vpc')?.action).toBe('unknown');
        expect(formatDiff(diff)).toContain('! REPLACE network: vpc (VPC)');
        expect(formatDiff(diff)).toContain('replacement unknown');
      },
    },
    {
      reason: 'an edited EnvironmentConfig value (dev gets a third zone): subnets are added, the node group is replaced (its subnets are ForceNew) while the cluster takes the new subnets in place',
      diff: () =>
        diffPlans(
          planOf('dev', dev),
          planOf('dev-zones', dev, editedConfigs('zones', 'dev.yaml', (data) => ((data.network as JsonObject).availabilityZones = 3))),
        ),
      check: (diff) => {
        expect(diff.added.map((r) => r.key)).toEqual(expect.arrayContaining(['subnet-private-c', 'subnet-public-c', 'subnet-database-c']));
        expect(diff.removed).toEqual([]);
        expect(change(diff, 'node-group-system')).toMatchObject({ action: 'replace', replacedBy: ['spec.forProvider.subnetIdRefs'] });
        expect(change(diff, 'cluster')?.action).toBe('update');
      },
    },
    {
      reason: 'an edited EnvironmentConfig value reaching Helm (a chart version pin and controller replicas) shows in the Release, field by field',
      diff: () =>
        diffPlans(
          planOf('dev', dev),
          planOf(
            'dev-addons',
            dev,
            editedConfigs('addons', 'dev.yaml', (data) => {
              data.addons = { ...((data.addons ?? {}) as JsonObject), keda: { version: '2.20.1' }, 'aws-load-balancer-controller': { replicas: 3 } };
            }),
          ),
        ),
      check: (diff) => {
        expect(change(diff, 'release-keda')).toMatchObject({ action: 'update', group: 'addons', addon: 'keda' });
        expect(change(diff, 'release-keda')?.fields).toEqual([{ path: 'spec.forProvider.chart.version', before: '2.20.2', after: '2.20.1' }]);
        expect(change(diff, 'release-aws-load-balancer-controller')?.fields).toEqual(
          expect.arrayContaining([{ path: 'spec.forProvider.values.replicaCount', before: 1, after: 3 }]),
        );
      },
    },
  ];
  for (const c of cases) it(c.reason, () => c.check(c.diff()));
});

describe('scripts/plan.ts as a command', () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/plan.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  it('--help prints the usage with every option and exits 0', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    for (const option of ['--output', '--configs', '--hub', '--diff', '--diff-configs']) expect(result.stdout).toContain(option);
  });

  it('a file that holds no XR of this package is refused, naming the file, with exit code 1', () => {
    const result = run(['environment-configs/dev.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('environment-configs/dev.yaml');
    expect(result.stderr).toContain('is not an XR of this package');
  });
});
